import { describe, expect, test } from '@jest/globals';
import { dueTimes } from './due-times.js';

const at = (iso: string) => new Date(iso);

describe('due times', () => {
  test('given a cron expression, the due times in a window, in UTC, end inclusive', () => {
    expect(
      dueTimes(
        { event: 'schedule', schedule: '*/15 * * * *' },
        at('2026-01-01T10:00:00Z'),
        at('2026-01-01T10:45:00Z'),
      ),
    ).toEqual(['2026-01-01T10:15:00.000Z', '2026-01-01T10:30:00.000Z', '2026-01-01T10:45:00.000Z']);
    expect(
      dueTimes(
        { event: 'schedule', schedule: '0 9 * * 1' },
        at('2026-01-01T00:00:00Z'),
        at('2026-01-14T00:00:00Z'),
      ),
    ).toEqual(['2026-01-05T09:00:00.000Z', '2026-01-12T09:00:00.000Z']);
  });

  test('given a poll interval, instants aligned to the epoch, the same on every replica', () => {
    expect(
      dueTimes(
        { event: 'poll', interval: '5m' },
        at('2026-01-01T10:02:00Z'),
        at('2026-01-01T10:15:00Z'),
      ),
    ).toEqual(['2026-01-01T10:05:00.000Z', '2026-01-01T10:10:00.000Z', '2026-01-01T10:15:00.000Z']);
    expect(
      dueTimes(
        { event: 'poll', interval: '1h' },
        at('2026-01-01T10:00:00Z'),
        at('2026-01-01T10:59:59Z'),
      ),
    ).toEqual([]);
  });

  test('given a webhook trigger, no due times', () => {
    expect(
      dueTimes({ event: 'push' }, at('2026-01-01T00:00:00Z'), at('2026-01-02T00:00:00Z')),
    ).toEqual([]);
  });
});
