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

describe('RetryLimiter', () => {
  test('runs a task again after the wait its failed listener names, with the count so far', async () => {
    const limiter = new RetryLimiter();
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

  test('lets the failure through when the listener names no wait, or when none listens', async () => {
    const limiter = new RetryLimiter();
    limiter.on('failed', () => undefined);
    await expect(limiter.schedule(() => Promise.reject(new Error('refused')))).rejects.toThrow(
      'refused',
    );
    await expect(
      new RetryLimiter().schedule(() => Promise.reject(new Error('alone'))),
    ).rejects.toThrow('alone');
  });
});
