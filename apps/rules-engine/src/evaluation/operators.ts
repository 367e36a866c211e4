import { RE2JS } from 're2js';
import type { CheckValue, Operator } from '#libs/contracts/src/index.js';

/**
 * The 12 operators of the catalog, applied to a value a provider reported. Patterns run on RE2
 * (re2js): matching time is linear in the input, so no pattern can make an evaluation backtrack
 * for minutes. Compiled patterns are kept, since the same rules run again and again.
 */
const compiled = new Map<string, RE2JS>();
function pattern(source: string): RE2JS {
  let re = compiled.get(source);
  if (!re) {
    re = RE2JS.compile(source);
    if (compiled.size > 10_000) compiled.clear();
    compiled.set(source, re);
  }
  return re;
}

const found = (source: string, text: string) => pattern(source).matcher(text).find();

export class OperatorError extends Error {}

export function applyOperator(operator: Operator, actual: CheckValue, expected: unknown): boolean {
  switch (operator) {
    case 'gt':
    case 'lt':
    case 'gte':
    case 'lte': {
      if (typeof actual !== 'number' || typeof expected !== 'number') {
        throw new OperatorError(
          `${operator} compares numbers; the check gave ${JSON.stringify(actual)}`,
        );
      }
      if (operator === 'gt') return actual > expected;
      if (operator === 'lt') return actual < expected;
      if (operator === 'gte') return actual >= expected;
      return actual <= expected;
    }
    case 'eq':
      return actual === expected;
    case 'contains':
    case 'not_contains': {
      const has = Array.isArray(actual)
        ? actual.includes(String(expected))
        : typeof actual === 'string'
          ? actual.includes(String(expected))
          : false;
      return operator === 'contains' ? has : !has;
    }
    case 'matches':
      if (typeof actual !== 'string') return false;
      return found(String(expected), actual);
    case 'any_match':
    case 'none_match': {
      const items = Array.isArray(actual) ? actual : typeof actual === 'string' ? [actual] : [];
      const patterns = Array.isArray(expected) ? expected.map(String) : [String(expected)];
      const any = items.some((item) => patterns.some((p) => found(p, item)));
      return operator === 'any_match' ? any : !any;
    }
    case 'is_empty':
    case 'is_not_empty': {
      const empty =
        actual === null || actual === '' || (Array.isArray(actual) && actual.length === 0);
      return operator === 'is_empty' ? empty : !empty;
    }
  }
}
