import { describe, expect, test } from '@jest/globals';
import type { ConditionResult, Operator, RuleCondition } from '#libs/contracts/src/index.js';
import { conditionsMatch } from './conditions.js';
import { applyOperator } from './operators.js';

/** A condition judged on the value a provider gave, as `evaluateConditions` judges it. */
const judged = (c: RuleCondition, actual: number | string[]): ConditionResult => ({
  ...c,
  actual,
  result: applyOperator(c.operator as Operator, actual, c.value),
});

const big: RuleCondition = {
  provider: 'github',
  check: 'pr.changed_lines',
  operator: 'gt',
  value: 500,
};
const bug: RuleCondition = {
  provider: 'github',
  check: 'pr.labels',
  operator: 'contains',
  value: 'bug',
};

describe('match: all | any', () => {
  test('given one condition that holds and one that does not, all does not match and any does', () => {
    const results = [judged(big, 600), judged(bug, ['ui'])];
    expect(results.map((r) => r.result)).toEqual([true, false]);
    expect(conditionsMatch(results, 'all')).toBe(false);
    expect(conditionsMatch(results, 'any')).toBe(true);
  });

  test('given both hold, both match; given neither holds, neither matches', () => {
    const both = [judged(big, 600), judged(bug, ['bug'])];
    expect(conditionsMatch(both, 'all')).toBe(true);
    expect(conditionsMatch(both, 'any')).toBe(true);
    const neither = [judged(big, 10), judged(bug, [])];
    expect(conditionsMatch(neither, 'all')).toBe(false);
    expect(conditionsMatch(neither, 'any')).toBe(false);
  });

  test('given a condition that could not be judged, it does not hold', () => {
    const unread: ConditionResult = { ...big, result: null, error: 'no value' };
    expect(conditionsMatch([unread, judged(bug, ['bug'])], 'all')).toBe(false);
    expect(conditionsMatch([unread], 'any')).toBe(false);
  });

  test('given no condition, every trigger matches', () => {
    expect(conditionsMatch([], 'all')).toBe(true);
    expect(conditionsMatch([], 'any')).toBe(true);
  });
});
