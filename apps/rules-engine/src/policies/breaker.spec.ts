import { describe, expect, test } from '@jest/globals';
import {
  closedBreaker,
  decideBreaker,
  evolveBreaker,
  isOpen,
  type BreakerState,
} from './breaker.js';

const at = (minutes: number) =>
  new Date(Date.UTC(2026, 0, 1, 0, 0) + minutes * 60_000).toISOString();

function count(state: BreakerState, minute: number, errored: boolean) {
  const events = decideBreaker(state, { kind: 'count', now: at(minute), errored });
  return {
    state: events.reduce((s, e) => evolveBreaker(s, e), state),
    events: events.map((e) => e.type),
  };
}

describe('policy circuit breaker', () => {
  test('given 4 errors of 4, when the 5th errs, then it opens for 30 minutes', () => {
    let s = closedBreaker();
    for (let i = 0; i < 4; i++) s = count(s, i, true).state;
    expect(isOpen(s, at(4))).toBe(false);
    const fifth = count(s, 4, true);
    expect(fifth.events).toEqual(['PolicyEvaluationCounted', 'PolicyBreakerOpened']);
    expect(isOpen(fifth.state, at(33))).toBe(true);
    expect(isOpen(fifth.state, at(35))).toBe(false);
  });

  test('given 3 errors of 5 (60%), then it stays closed; "condition false" is not an error', () => {
    let s = closedBreaker();
    for (const errored of [true, false, true, false, true]) s = count(s, 1, errored).state;
    expect(s.openUntil).toBeNull();
  });

  test('given errors older than an hour, then they do not count', () => {
    let s = closedBreaker();
    for (let i = 0; i < 4; i++) s = count(s, i, true).state;
    const late = count(s, 120, true);
    expect(late.events).toEqual(['PolicyEvaluationCounted']);
  });

  test('given an open breaker past its time, when checked, then it closes with an event', () => {
    let s = closedBreaker();
    for (let i = 0; i < 5; i++) s = count(s, 0, true).state;
    expect(decideBreaker(s, { kind: 'check', now: at(10) })).toEqual([]);
    expect(decideBreaker(s, { kind: 'check', now: at(31) }).map((e) => e.type)).toEqual([
      'PolicyBreakerClosed',
    ]);
  });
});
