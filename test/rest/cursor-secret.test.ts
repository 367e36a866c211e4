import { describe, expect, test } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { cursorSecret } from '../../apps/api-gateway/src/rest/cursor-secret.js';
import { decodeCursor, encodeCursor } from '../../apps/api-gateway/src/rest/cursor.js';

describe('the cursor key derives from GATEWAY_SIGNING_KEY', () => {
  const key = { orgId: 'org-1', position: '42', id: 'integration-1' };

  test('given the same signing key, every replica derives the same cursor key, and it is not the signing key', () => {
    const signing = randomBytes(32).toString('base64');
    const a = cursorSecret(signing);
    const b = cursorSecret(signing);
    expect(a.equals(b)).toBe(true);
    expect(a).toHaveLength(32);
    expect(a.equals(Buffer.from(signing, 'base64'))).toBe(false);
    expect(decodeCursor(encodeCursor(key, a), b)).toEqual(key);
  });

  test('given another signing key, then cursors signed under the first do not decode', () => {
    const first = cursorSecret(randomBytes(32).toString('base64'));
    const second = cursorSecret(randomBytes(32).toString('base64'));
    expect(decodeCursor(encodeCursor(key, first), second)).toBeUndefined();
  });
});
