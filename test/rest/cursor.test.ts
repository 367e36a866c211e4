import { describe, expect, test } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { decodeCursor, encodeCursor } from '../../apps/api-gateway/src/rest/cursor.js';
import { parsePageRequest } from '../../apps/api-gateway/src/rest/page-request.js';

const secret = randomBytes(32);
const org = '6b1d2c3e-0000-4000-8000-000000000001';
const key = { orgId: org, position: '1234', id: '0f0e0d0c-0000-4000-8000-000000000002' };

describe('cursors', () => {
  test('round-trip and stay opaque (no raw ids in clear)', () => {
    const cursor = encodeCursor(key, secret);
    expect(cursor).toMatch(/^v1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    expect(cursor).not.toContain(key.id);
    expect(decodeCursor(cursor, secret)).toEqual(key);
  });

  test('a changed payload, signature, prefix or key is rejected', () => {
    const cursor = encodeCursor(key, secret);
    const [v, body, mac] = cursor.split('.');
    const forged = Buffer.from(JSON.stringify({ o: org, p: '1', i: key.id })).toString('base64url');
    const flip = (s: string) => (s[0] === 'A' ? 'B' : 'A') + s.slice(1);
    for (const bad of [
      `${v}.${forged}.${mac}`,
      `${v}.${body}.${flip(mac!)}`,
      `v2.${body}.${mac}`,
      `${v}.${body}`,
      'v1.eyJpZCI6IjEwMDAifQo=',
      '',
    ]) {
      expect(decodeCursor(bad, secret)).toBeUndefined();
    }
    expect(decodeCursor(cursor, randomBytes(32))).toBeUndefined();
  });
});

describe('page requests', () => {
  const parse = (query: Record<string, unknown>) => parsePageRequest(query, org, secret);

  test('limit defaults to 10 and accepts 10..100', () => {
    expect(parse({})).toEqual({ ok: true, page: { limit: 10 } });
    expect(parse({ limit: '10' })).toEqual({ ok: true, page: { limit: 10 } });
    expect(parse({ limit: '100' })).toEqual({ ok: true, page: { limit: 100 } });
  });

  test.each(['9', '101', '0', '-10', '10.5', 'ten', '', '1e2'])('limit %p is rejected', (limit) => {
    expect(parse({ limit })).toMatchObject({ ok: false, problem: { parameter: 'limit' } });
  });

  test('both cursors at once are rejected', () => {
    const c = encodeCursor(key, secret);
    expect(parse({ starting_after: c, ending_before: c })).toMatchObject({
      ok: false,
      problem: { code: 'conflicting_cursors' },
    });
  });

  test('a valid cursor gives its key; tampered or another org is rejected', () => {
    const c = encodeCursor(key, secret);
    expect(parse({ starting_after: c, limit: '20' })).toEqual({
      ok: true,
      page: { limit: 20, after: key },
    });
    expect(parse({ ending_before: c })).toEqual({ ok: true, page: { limit: 10, before: key } });
    const other = encodeCursor({ ...key, orgId: '6b1d2c3e-0000-4000-8000-000000000009' }, secret);
    expect(parse({ starting_after: other })).toMatchObject({
      ok: false,
      problem: { parameter: 'starting_after', code: 'invalid_cursor' },
    });
    expect(parse({ ending_before: c.slice(0, -2) })).toMatchObject({
      ok: false,
      problem: { parameter: 'ending_before', code: 'invalid_cursor' },
    });
  });
});
