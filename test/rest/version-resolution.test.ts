import { describe, expect, test } from '@jest/globals';
import {
  resolveVersion,
  versionHeaders,
} from '../../apps/api-gateway/src/rest/version-resolution.js';
import type { ReleasedVersion } from '../../apps/api-gateway/src/rest/api-versions.js';

const TABLE: ReleasedVersion[] = [
  { date: '2024-10-15', stability: 'beta', deprecatedOn: '2025-04-22', sunsetOn: '2025-07-22' },
  { date: '2025-04-22', stability: 'ga', deprecatedOn: '2026-03-25', sunsetOn: '2027-03-25' },
  { date: '2026-03-25', stability: 'ga' },
  { date: '2026-09-01', stability: 'beta' },
  { date: '2026-10-20', stability: 'experimental' },
  { date: '2027-01-10', stability: 'ga' },
];
const TODAY = '2026-11-23';
const resolve = (raw: unknown) => resolveVersion(raw, TODAY, TABLE);
const served = (raw: unknown) => {
  const r = resolve(raw);
  if (!r.ok) throw new Error(`expected ${String(raw)} to resolve: ${r.problem.detail}`);
  return r.resolved.served;
};

describe('resolving the version query parameter', () => {
  test('missing or empty is 400 version_missing', () => {
    for (const raw of [undefined, '']) {
      expect(resolve(raw)).toMatchObject({
        ok: false,
        problem: { status: 400, code: 'version_missing' },
      });
    }
  });

  test.each([
    '2026-3-25',
    '26-03-25',
    '2026-03-25~ga',
    '2026-03-25~',
    'latest',
    '2026-13-01',
    '2026-00-01',
    'BETA',
    ' 2026-03-25',
  ])('malformed %p is 400 version_invalid', (raw) => {
    expect(resolve(raw)).toMatchObject({
      ok: false,
      problem: { status: 400, code: 'version_invalid' },
    });
  });

  test('a repeated parameter (an array) is malformed', () => {
    expect(resolve(['2026-03-25', '2026-03-25'])).toMatchObject({
      ok: false,
      problem: { status: 400 },
    });
  });

  test('a date the pattern accepts but the calendar does not is 400', () => {
    expect(resolve('2026-02-30')).toMatchObject({
      ok: false,
      problem: { status: 400, code: 'version_invalid' },
    });
  });

  test('a date resolves to the newest GA version released on or before it', () => {
    expect(served('2026-03-25')).toBe('2026-03-25');
    expect(served('2026-03-24')).toBe('2025-04-22');
    expect(served('2025-04-22')).toBe('2025-04-22');
    expect(served('2026-11-01')).toBe('2026-03-25');
  });

  test('versions released after today are not served yet, even for a later date', () => {
    expect(served('2027-06-01')).toBe('2026-03-25');
  });

  test('a stability suffix accepts that stability or a more stable one', () => {
    expect(served('2026-09-15~beta')).toBe('2026-09-01~beta');
    expect(served('2026-08-01~beta')).toBe('2026-03-25');
    expect(served('2026-11-01~experimental')).toBe('2026-10-20~experimental');
    expect(served('2026-11-01~wip')).toBe('2026-10-20~experimental');
    expect(served('2026-11-01~work-in-progress')).toBe('2026-10-20~experimental');
  });

  test('a bare stability means the newest version at it as of today', () => {
    expect(served('beta')).toBe('2026-09-01~beta');
    expect(served('experimental')).toBe('2026-10-20~experimental');
    expect(served('work-in-progress')).toBe('2026-10-20~experimental');
  });

  test('a date before the first release is 404 naming the first version', () => {
    const r = resolve('2025-01-01');
    expect(r).toMatchObject({ ok: false, problem: { status: 404, code: 'version_not_found' } });
    expect(!r.ok && r.problem.detail).toContain('2025-04-22');
    const beta = resolve('2024-01-01~beta');
    expect(!beta.ok && beta.problem.detail).toContain('2024-10-15~beta');
  });

  test('a version past its sunset is 410 naming what to use instead', () => {
    const r = resolve('2025-01-01~beta');
    expect(r).toMatchObject({ ok: false, problem: { status: 410, code: 'version_sunset' } });
    expect(!r.ok && r.problem.detail).toMatch(/2024-10-15~beta.*2025-07-22.*2026-09-01~beta/);
  });

  test('headers name the requested and served version; deprecation and sunset where they apply', () => {
    const old = resolve('2026-01-01');
    expect(old.ok && versionHeaders(old.resolved)).toEqual({
      'api-version-requested': '2026-01-01',
      'api-version-served': '2025-04-22',
      'api-version-lifecycle-stage': 'deprecated',
      deprecation: `@${Date.UTC(2026, 2, 25) / 1000}`,
      sunset: 'Thu, 25 Mar 2027 00:00:00 GMT',
    });
    const current = resolve('2026-03-25');
    expect(current.ok && versionHeaders(current.resolved)).toEqual({
      'api-version-requested': '2026-03-25',
      'api-version-served': '2026-03-25',
      'api-version-lifecycle-stage': 'ga',
    });
  });

  test('the real table resolves the seed example to itself', () => {
    const r = resolveVersion('2026-03-25', TODAY);
    expect(r.ok && r.resolved.served).toBe('2026-03-25');
  });
});
