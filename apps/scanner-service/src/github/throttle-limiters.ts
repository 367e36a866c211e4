import pLimit, { type LimitFunction } from 'p-limit';

/**
 * Limiters for `@octokit/plugin-throttling`, in place of its Bottleneck ones. Bottleneck 2 waits
 * for a timer (`setTimeout(0)`) under a lock at each step of each job, which holds one client to
 * about 350 requests a second however many may be in flight (`npm run bench:scan` shows the
 * scan's rate). The plugin uses only `group.key(id).schedule(options, task, ...args)` and the
 * retry limiter's `schedule` and `failed` event; these do the same with a queue and a loop.
 */

type Task<A extends unknown[], T> = (...args: A) => T | Promise<T>;

/** At most `maxConcurrent` tasks at once per key; a retry (weight 0) never waits for a slot. */
export class ConcurrencyGroup {
  private readonly limits = new Map<string, LimitFunction>();

  constructor(private readonly maxConcurrent: number) {}

  key(id = '') {
    let limit = this.limits.get(id);
    if (!limit) {
      limit = pLimit(this.maxConcurrent);
      this.limits.set(id, limit);
    }
    const slot = limit;
    return {
      schedule: <A extends unknown[], T>(
        options: { weight?: number },
        task: Task<A, T>,
        ...args: A
      ): Promise<T> =>
        options.weight === 0 ? Promise.resolve(task(...args)) : slot(() => task(...args)),
    };
  }
}

/** What a `failed` listener is told: the task's arguments and how often it was retried. */
export interface FailedJob {
  args: unknown[];
  retryCount: number;
}

/**
 * Runs a task and, when it fails, asks the `failed` listener: a number is the milliseconds to
 * wait before it runs again; anything else lets the failure through (Bottleneck's contract).
 */
export class RetryLimiter {
  private failed?: (error: unknown, job: FailedJob) => unknown;

  on(event: string, listener: (error: unknown, job: FailedJob) => unknown): void {
    if (event === 'failed') this.failed = listener;
  }

  async schedule<A extends unknown[], T>(task: Task<A, T>, ...args: A): Promise<T> {
    for (let retryCount = 0; ; retryCount++) {
      try {
        return await task(...args);
      } catch (error) {
        const wait = await this.failed?.(error, { args, retryCount });
        if (typeof wait !== 'number') throw error;
        await new Promise((resolve) => setTimeout(resolve, wait));
      }
    }
  }
}
