import { describe, expect, test } from '@jest/globals';
import { exponentialBackoff } from './backoff.js';

describe('exponentialBackoff', () => {
  test('given deliveries 1, 2, 3..., then the delay starts at the first, doubles, and stops at the cap', () => {
    const delay = exponentialBackoff(500, 30_000);
    expect([1, 2, 3, 6, 7, 20].map(delay)).toEqual([500, 1_000, 2_000, 16_000, 30_000, 30_000]);
  });
});
