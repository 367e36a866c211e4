import pLimit, { type LimitFunction } from 'p-limit';

/**
 * Limiters for `@octokit/plugin-throttling`, in place of its Bottleneck ones, and the retries
 * `@octokit/plugin-retry` made. Bottleneck 2 waits for a timer (`setTimeout(0)`) under a lock at
 * each step of each job: the throttling plugin's limiters held one client to about 350 requests a
 * second however many were allowed in flight, and plugin-retry's (one per request) added several
 * milliseconds to each (`npm run bench:scan` shows the scan's rate). The throttling plugin uses
 * only `group.key(id).schedule(options, task, ...args)` and the retry limiter's `schedule` and
 * `failed` event; these do the same with a queue and a loop.
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

/** Failures asked again: `retries` times, after (n + 1)² × `baseMs` (plugin-retry's rule). */
export interface ServerErrorRetries {
  retries: number;
  baseMs: number;
}

/** Statuses plugin-retry never asks again: the request itself is wrong, or not allowed. */
const DO_NOT_RETRY = new Set([400, 401, 403, 404, 410, 422, 451]);

/** GitHub's transient GraphQL failure, answered 200 with an error. */
const GRAPHQL_SOMETHING_WENT_WRONG = /Something went wrong while executing your query/;

/**
 * Runs a task and, when it fails, asks the `failed` listener (the throttling plugin's, for rate
 * limits): a number is the milliseconds to wait before it runs again (Bottleneck's contract).
 * Otherwise a failure with a status of 400 or more that is not the request's fault (a network
 * failure is a 500), or GitHub's transient GraphQL error, runs again as plugin-retry did.
 */
export class RetryLimiter {
  private failed?: (error: unknown, job: FailedJob) => unknown;

  constructor(private readonly serverErrors: ServerErrorRetries) {}

  on(event: string, listener: (error: unknown, job: FailedJob) => unknown): void {
    if (event === 'failed') this.failed = listener;
  }

  /** A listener that throws asks for nothing (Bottleneck reports it and goes on). */
  private async ask(failure: unknown, job: FailedJob): Promise<unknown> {
    try {
      return await this.failed?.(failure, job);
    } catch {
      return undefined;
    }
  }

  async schedule<A extends unknown[], T>(task: Task<A, T>, ...args: A): Promise<T> {
    let serverRetries = 0;
    for (let retryCount = 0; ; retryCount++) {
      let failure: unknown;
      try {
        const result = await task(...args);
        const transient = transientGraphqlError(result);
        if (!transient) return result;
        failure = Object.assign(new Error(transient), {
          status: 500,
          response: result,
        });
      } catch (error) {
        failure = error;
      }
      const asked = await this.ask(failure, { args, retryCount });
      let wait: number;
      if (typeof asked === 'number') {
        wait = asked;
      } else {
        const status = (failure as { status?: unknown }).status;
        const retriable = typeof status === 'number' && status >= 400 && !DO_NOT_RETRY.has(status);
        if (!retriable || serverRetries >= this.serverErrors.retries) throw failure;
        serverRetries++;
        wait = serverRetries ** 2 * this.serverErrors.baseMs;
      }
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }
}

function transientGraphqlError(result: unknown): string | undefined {
  const message = (result as { data?: { errors?: Array<{ message?: unknown }> } } | null)?.data
    ?.errors?.[0]?.message;
  return typeof message === 'string' && GRAPHQL_SOMETHING_WENT_WRONG.test(message)
    ? message
    : undefined;
}
