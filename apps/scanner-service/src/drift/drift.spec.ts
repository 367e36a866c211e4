import { describe, expect, test } from '@jest/globals';
import type { RepoRecord } from '#libs/contracts/src/index.js';
import { baselineSchema, defaultBaseline, parseBaseline } from './baseline.js';
import { evaluateDrift } from './evaluate.js';
import { shouldEmitProgress } from '../scans/progress-throttle.js';
import { missingPermissions } from '../scans/required-permissions.js';

const repo = (over: Partial<RepoRecord> = {}): RepoRecord => ({
  githubId: 1,
  fullName: 'acme/api',
  private: true,
  visibility: 'private',
  archived: false,
  fork: false,
  defaultBranch: 'main',
  protection: { requiredReviews: 1, requiresStatusChecks: true, enforceAdmins: true },
  secretScanning: 'enabled',
  collaborators: [],
  teams: [],
  scanState: 'scanned',
  ...over,
});

describe('drift against the baseline', () => {
  test('a repository that meets the baseline has no findings', () => {
    expect(evaluateDrift(repo(), defaultBaseline)).toEqual([]);
  });

  test('each default check, with expected, actual and severity', () => {
    expect(evaluateDrift(repo({ protection: null }), defaultBaseline)).toEqual([
      {
        repo: 'acme/api',
        check: 'default_branch_protected',
        expected: true,
        actual: false,
        severity: 'high',
      },
    ]);
    expect(
      evaluateDrift(
        repo({
          protection: { requiredReviews: 0, requiresStatusChecks: false, enforceAdmins: false },
          secretScanning: 'disabled',
          collaborators: [
            { login: 'zed', permission: 'admin', outside: true },
            { login: 'amy', permission: 'admin', outside: true },
            { login: 'bob', permission: 'admin', outside: false },
            { login: 'cat', permission: 'write', outside: true },
          ],
        }),
        defaultBaseline,
      ),
    ).toEqual([
      {
        repo: 'acme/api',
        check: 'required_reviews',
        expected: '>= 1',
        actual: 0,
        severity: 'medium',
      },
      {
        repo: 'acme/api',
        check: 'outside_admin',
        expected: [],
        actual: ['amy', 'zed'],
        severity: 'high',
      },
      {
        repo: 'acme/api',
        check: 'secret_scanning',
        expected: 'enabled',
        actual: 'disabled',
        severity: 'medium',
      },
    ]);
  });

  test('what the scan could not read yields no finding, and archived repositories are skipped', () => {
    expect(
      evaluateDrift(repo({ protection: undefined, secretScanning: 'unknown' }), defaultBaseline),
    ).toEqual([]);
    expect(evaluateDrift(repo({ archived: true, protection: null }), defaultBaseline)).toEqual([]);
    expect(
      evaluateDrift(repo({ private: false, secretScanning: 'disabled' }), defaultBaseline),
    ).toEqual([]);
  });

  test('the baseline is configurable: thresholds, severities, checks switched on and off', () => {
    const strict = parseBaseline(
      JSON.stringify({
        requiredReviews: { minimum: 2, severity: 'high' },
        adminsEnforced: { enabled: true },
        skipArchived: false,
        defaultBranchProtected: { enabled: false },
      }),
    );
    expect(
      evaluateDrift(
        repo({
          protection: { requiredReviews: 1, requiresStatusChecks: true, enforceAdmins: false },
        }),
        strict,
      ).map((f) => [f.check, f.severity]),
    ).toEqual([
      ['required_reviews', 'high'],
      ['admins_enforced', 'low'],
    ]);
    expect(evaluateDrift(repo({ archived: true, protection: null }), strict)).toEqual([]);
    expect(() => baselineSchema.parse({ requiredReviews: { minimum: 0 } })).toThrow();
  });
});

describe('progress throttling', () => {
  const state = { lastEmitAt: 1_000, lastEmittedScanned: 10 };
  test('every 25 repositories, or after 250 ms with something new, and always the last one', () => {
    expect(shouldEmitProgress(state, 1_010, 34, 100)).toBe(false);
    expect(shouldEmitProgress(state, 1_010, 35, 100)).toBe(true);
    expect(shouldEmitProgress(state, 1_250, 11, 100)).toBe(true);
    expect(shouldEmitProgress(state, 5_000, 10, 100)).toBe(false);
    expect(shouldEmitProgress(state, 1_001, 100, 100)).toBe(true);
  });
});

describe('scan permissions', () => {
  test('lists each permission below what the scan needs', () => {
    expect(
      missingPermissions({ metadata: 'read', administration: 'write', members: 'read' }),
    ).toEqual([]);
    expect(missingPermissions({ metadata: 'read', contents: 'write' })).toEqual([
      { permission: 'administration', required: 'read', granted: null },
      { permission: 'members', required: 'read', granted: null },
    ]);
  });
});
