import { describe, expect, test } from '@jest/globals';
import type { PolicyBreakerEvent } from '#libs/contracts/src/index.js';
import type { EventData } from '#libs/event-store/src/index.js';
import { deciderSpecification } from '#libs/testing/src/decider-specification.js';
import { breakerOf, DEFAULT_BREAKER, type BreakerState } from './breaker.js';

/** Minutes after 2026-01-01T00:00Z. */
const at = (minutes: number) =>
  new Date(Date.UTC(2026, 0, 1, 0, 0) + minutes * 60_000).toISOString();
/** The default breaker (5 evaluations, 80% errors, an hour's window, open 30 minutes), at `minute`. */
const breakerAt = (minute: number) =>
  deciderSpecification(breakerOf(DEFAULT_BREAKER), { now: at(minute) });

type Event = EventData<PolicyBreakerEvent>;
const counted = (minute: number, errored: boolean): Event => ({
  type: 'PolicyEvaluationCounted',
  data: { at: at(minute), errored },
});
/** Errors at minutes `from`, `from + 1`, ... */
const errorsFrom = (from: number, n: number) =>
  Array.from({ length: n }, (_, i) => counted(from + i, true));
/** Five errors at minute 0 opened it until minute 30. */
const opened: Event[] = [
  ...Array.from({ length: 5 }, () => counted(0, true)),
  {
    type: 'PolicyBreakerOpened',
    data: { openedAt: at(0), openUntil: at(30), evaluations: 5, errors: 5 },
  },
];

describe('counting evaluations', () => {
  test('given 4 errors of 4, when the 5th errs, then it is counted and the breaker opens for 30 minutes', () =>
    breakerAt(4)
      .given(errorsFrom(0, 4))
      .when({ kind: 'count', errored: true })
      .then([
        counted(4, true),
        {
          type: 'PolicyBreakerOpened',
          data: { openedAt: at(4), openUntil: at(34), evaluations: 5, errors: 5 },
        },
      ]));

  test('given 4 errors of 4, then the breaker is still closed: too few evaluations', () =>
    breakerAt(4)
      .given(errorsFrom(0, 4))
      .thenState({
        openUntil: null,
        buckets: {
          [minuteOf(0)]: [1, 1],
          [minuteOf(1)]: [1, 1],
          [minuteOf(2)]: [1, 1],
          [minuteOf(3)]: [1, 1],
        },
      }));

  test('given 2 errors of 4, when the 5th errs (3 of 5, 60%), then it is only counted: "condition false" is not an error', () =>
    breakerAt(1)
      .given([counted(1, true), counted(1, false), counted(1, true), counted(1, false)])
      .when({ kind: 'count', errored: true })
      .then([counted(1, true)]));

  test('given 3 errors and 2 conditions false in one minute, then one bucket of 5 evaluations, 3 errors, closed', () =>
    breakerAt(1)
      .given([true, false, true, false, true].map((errored) => counted(1, errored)))
      .thenState({ openUntil: null, buckets: { [minuteOf(1)]: [5, 3] }, version: 0 }));

  test('given 4 errors more than an hour ago, when an evaluation errs, then it is only counted', () =>
    breakerAt(120)
      .given(errorsFrom(0, 4))
      .when({ kind: 'count', errored: true })
      .then([counted(120, true)]));

  test('given errors more than an hour before a count, then their buckets are dropped', () =>
    breakerAt(120)
      .given([counted(0, true), counted(0, true), counted(0, true), counted(120, true)])
      .thenState({ buckets: without(0) }));
});

describe('an open breaker', () => {
  test('given it opened, then it is open until then, over a fresh window, its stream at version 1', () =>
    breakerAt(0)
      .given(opened)
      .thenState({ openUntil: at(30), buckets: without(0), version: 1 }));

  test('given it is open, when an evaluation is counted before its time is up, then nothing: none is made', () =>
    breakerAt(29).given(opened).when({ kind: 'count', errored: true }).thenNothing());

  test('given it is open, when checked before its time is up, then nothing', () =>
    breakerAt(10).given(opened).when({ kind: 'check' }).thenNothing());

  test('given it is open, when checked past its time, then it closes with an event', () =>
    breakerAt(31)
      .given(opened)
      .when({ kind: 'check' })
      .then([{ type: 'PolicyBreakerClosed', data: { closedAt: at(31) } }]));

  test('given it is open, when checked the minute its time is up, then it closes', () =>
    breakerAt(30)
      .given(opened)
      .when({ kind: 'check' })
      .then([{ type: 'PolicyBreakerClosed', data: { closedAt: at(30) } }]));

  test('given it is open, when an evaluation is counted past its time, then it closes and counts it afresh', () =>
    breakerAt(31)
      .given(opened)
      .when({ kind: 'count', errored: true })
      .then([{ type: 'PolicyBreakerClosed', data: { closedAt: at(31) } }, counted(31, true)]));
});

describe('a closed breaker', () => {
  test('given it closed, then it is closed, its stream at version 2', () =>
    breakerAt(31)
      .given([...opened, { type: 'PolicyBreakerClosed', data: { closedAt: at(31) } }])
      .thenState({ openUntil: null, buckets: without(0), version: 2 }));

  test('given it closed after 5 errors, when 4 more err, then they are only counted: a fresh window', () =>
    breakerAt(34)
      .given([
        ...opened,
        { type: 'PolicyBreakerClosed', data: { closedAt: at(31) } },
        ...errorsFrom(31, 3),
      ])
      .when({ kind: 'count', errored: true })
      .then([counted(34, true)]));

  test('given it never opened, when checked, then nothing', () =>
    breakerAt(0).given(errorsFrom(0, 3)).when({ kind: 'check' }).thenNothing());
});

/** The bucket key of `minute` (epoch minutes). */
function minuteOf(minute: number): string {
  return String(Math.floor(Date.parse(at(minute)) / 60_000));
}

/** Buckets without `minute`'s (`thenState` matches a subset, so an absence is asked for). */
function without(minute: number): BreakerState['buckets'] {
  const absent = expect.not.objectContaining({ [minuteOf(minute)]: expect.anything() });
  return absent as unknown as BreakerState['buckets'];
}
