import { describe, expect, test } from '@jest/globals';
import { ConcurrencyGroup, RetryLimiter, type FailedJob } from './throttle-limiters.js';

const tick = () => new Promise((resolve) => setTimeout(resolve, 5));

/** A task that counts how many of its kind run at once and finishes when told. */
function gauge() {
  let running = 0;
  let peak = 0;
  const release: Array<() => void> = [];
  return {
    get peak() {
      return peak;
    },
    task: (value: string) => {
      running++;
      peak = Math.max(peak, running);
      return new Promise<string>((resolve) =>
        release.push(() => {
          running--;
          resolve(value);
        }),
      );
    },
    releaseAll: async () => {
      while (release.length > 0) {
        release.splice(0).forEach((done) => done());
        await tick();
      }
    },
  };
}

describe('ConcurrencyGroup', () => {
  test('runs at most its limit per key at once, and every task to the end', async () => {
    const group = new ConcurrencyGroup(3);
    const g = gauge();
    const results = Promise.all(
      Array.from({ length: 10 }, (_, i) => group.key('a').schedule({}, g.task, `r${i}`)),
    );
    await tick();
    expect(g.peak).toBe(3);
    await g.releaseAll();
    expect(await results).toEqual(Array.from({ length: 10 }, (_, i) => `r${i}`));
    expect(g.peak).toBe(3);
  });

  test('keys do not share slots, and a retry (weight 0) takes none', async () => {
    const group = new ConcurrencyGroup(1);
    const g = gauge();
    const all = Promise.all([
      group.key('a').schedule({}, g.task, 'a'),
      group.key('b').schedule({}, g.task, 'b'),
      group.key('a').schedule({ weight: 0 }, g.task, 'retry of a'),
      group.key('a').schedule({}, g.task, 'a again'),
    ]);
    await tick();
    expect(g.peak).toBe(3);
    await g.releaseAll();
    expect(await all).toEqual(['a', 'b', 'retry of a', 'a again']);
  });
});

/** A failure as Octokit throws it: a status (500 for a network failure). */
const failure = (status: number) => Object.assign(new Error(`status ${status}`), { status });

/** A task that fails with these statuses in turn, then answers. */
function failing(...statuses: number[]) {
  let calls = 0;
  return {
    get calls() {
      return calls;
    },
    task: async () => {
      const status = statuses[calls++];
      if (status !== undefined) throw failure(status);
      return 'answer';
    },
  };
}

describe('RetryLimiter', () => {
  test('runs a task again after the wait its failed listener names, with the count so far', async () => {
    const limiter = new RetryLimiter({ retries: 0, baseMs: 1 });
    const told: FailedJob[] = [];
    limiter.on('failed', (_error, job) => {
      told.push({ ...job });
      return job.retryCount < 2 ? 1 : undefined;
    });
    let calls = 0;
    const answer = await limiter.schedule(async (x: number) => {
      calls++;
      if (calls < 3) throw new Error(`try ${calls}`);
      return x * 2;
    }, 21);
    expect(answer).toBe(42);
    expect(told).toEqual([
      { args: [21], retryCount: 0 },
      { args: [21], retryCount: 1 },
    ]);
  });

  test('lets a failure without a status through when the listener names no wait', async () => {
    const limiter = new RetryLimiter({ retries: 3, baseMs: 1 });
    limiter.on('failed', () => undefined);
    await expect(limiter.schedule(() => Promise.reject(new Error('refused')))).rejects.toThrow(
      'refused',
    );
  });

  test('asks again after server errors and network failures, up to its retries', async () => {
    const limiter = new RetryLimiter({ retries: 3, baseMs: 1 });
    const recovers = failing(502, 500, 503);
    expect(await limiter.schedule(recovers.task)).toBe('answer');
    expect(recovers.calls).toBe(4);

    const keepsFailing = failing(502, 502, 502, 502, 502);
    await expect(limiter.schedule(keepsFailing.task)).rejects.toMatchObject({ status: 502 });
    expect(keepsFailing.calls).toBe(4);
  });

  test("never asks again what is the request's own fault", async () => {
    const limiter = new RetryLimiter({ retries: 3, baseMs: 1 });
    for (const status of [400, 401, 403, 404, 410, 422, 451]) {
      const refused = failing(status);
      await expect(limiter.schedule(refused.task)).rejects.toMatchObject({ status });
      expect(refused.calls).toBe(1);
    }
  });

  test('a listener that throws asks for nothing; the failure still gets its server retries', async () => {
    const limiter = new RetryLimiter({ retries: 1, baseMs: 1 });
    limiter.on('failed', () => {
      throw new TypeError('no response headers');
    });
    const once = failing(500);
    expect(await limiter.schedule(once.task)).toBe('answer');
    expect(once.calls).toBe(2);
  });

  test("GitHub's transient GraphQL error, answered 200, is asked again", async () => {
    const limiter = new RetryLimiter({ retries: 2, baseMs: 1 });
    let calls = 0;
    const answer = await limiter.schedule(async () =>
      ++calls === 1
        ? { data: { errors: [{ message: 'Something went wrong while executing your query.' }] } }
        : { data: { viewer: { login: 'octocat' } } },
    );
    expect(answer).toEqual({ data: { viewer: { login: 'octocat' } } });
    expect(calls).toBe(2);
  });
});
