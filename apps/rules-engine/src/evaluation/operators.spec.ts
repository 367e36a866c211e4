import { describe, expect, test } from '@jest/globals';
import { applyOperator } from './operators.js';

describe('operators', () => {
  test('numbers: gt lt gte lte eq', () => {
    expect(applyOperator('gt', 600, 500)).toBe(true);
    expect(applyOperator('gt', 500, 500)).toBe(false);
    expect(applyOperator('gte', 500, 500)).toBe(true);
    expect(applyOperator('lt', 3, 5)).toBe(true);
    expect(applyOperator('lte', 6, 5)).toBe(false);
    expect(applyOperator('eq', 5, 5)).toBe(true);
    expect(() => applyOperator('gt', 'x', 5)).toThrow(/compares numbers/);
  });

  test('strings and booleans: eq contains not_contains matches', () => {
    expect(applyOperator('eq', true, true)).toBe(true);
    expect(applyOperator('eq', 'success', 'failure')).toBe(false);
    expect(applyOperator('contains', 'pending', 'end')).toBe(true);
    expect(applyOperator('not_contains', 'pending', 'end')).toBe(false);
    expect(applyOperator('matches', 'failure', '^fail')).toBe(true);
    expect(applyOperator('matches', 'success', '^fail')).toBe(false);
  });

  test('lists: contains any_match none_match is_empty is_not_empty', () => {
    expect(applyOperator('contains', ['bug', 'ui'], 'bug')).toBe(true);
    expect(applyOperator('not_contains', ['bug'], 'ui')).toBe(true);
    expect(applyOperator('any_match', ['size/XL', 'ui'], ['^size/(L|XL)$'])).toBe(true);
    expect(applyOperator('none_match', ['ui'], ['^size/'])).toBe(true);
    expect(applyOperator('is_empty', [], undefined)).toBe(true);
    expect(applyOperator('is_empty', null, undefined)).toBe(true);
    expect(applyOperator('is_not_empty', ['x'], undefined)).toBe(true);
    expect(applyOperator('is_not_empty', '', undefined)).toBe(false);
  });

  test('a catastrophic pattern on a long input answers at once (RE2: linear time)', () => {
    const input = `${'a'.repeat(50_000)}!`;
    const started = performance.now();
    expect(applyOperator('matches', input, '^(a+)+$')).toBe(false);
    expect(applyOperator('any_match', [input], ['^(a*)*b', '(a|aa)+!$'])).toBe(true);
    // Backtracking engines need longer than the age of the universe here; RE2 needs milliseconds.
    expect(performance.now() - started).toBeLessThan(10_000);
  });
});
