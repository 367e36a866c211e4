import { describe, expect, test } from '@jest/globals';
import type { BranchProtectionSummary, RepoRecord } from '#libs/contracts/src/index.js';
import { baselineSchema, defaultBaseline, parseBaseline } from '../src/drift/baseline.js';
import { evaluateDrift, evaluateOrg } from '../src/drift/evaluate.js';
import { shouldEmitProgress } from '../src/scans/progress-throttle.js';
import {
  missingPermissions,
  runnableChecks,
  skippedChecks,
} from '../src/scans/required-permissions.js';

const guarded: BranchProtectionSummary = {
  requiredReviews: 1,
  requiresStatusChecks: true,
  enforceAdmins: true,
  dismissStaleReviews: true,
  requireCodeOwnerReviews: true,
  blocksForcePushes: true,
  blocksDeletions: true,
  requiresSignatures: true,
};

const repo = (over: Partial<RepoRecord> = {}): RepoRecord => ({
  githubId: 1,
  fullName: 'acme/api',
  private: true,
  visibility: 'private',
  archived: false,
  fork: false,
  defaultBranch: 'main',
  protection: guarded,
  secretScanning: 'enabled',
  security: { pushProtection: 'enabled', vulnerabilityAlerts: true, securityPolicy: true },
  collaborators: [],
  teams: [],
  scanState: 'scanned',
  ...over,
});

const checks = (evaluation: { findings: Array<{ check: string }> }) =>
  evaluation.findings.map((f) => f.check);

const ALL_GRANTED = {
  metadata: 'read',
  administration: 'read',
  members: 'read',
  organization_administration: 'read',
  organization_hooks: 'read',
};

describe('drift of a repository against the baseline', () => {
  test('given a repository that meets the baseline, then no findings and every check judged', () => {
    const { findings, evaluated } = evaluateDrift(repo(), defaultBaseline);
    expect(findings).toEqual([]);
    expect(evaluated).toEqual([
      'default_branch_protected',
      'required_reviews',
      'stale_reviews_dismissed',
      'force_push_blocked',
      'deletion_blocked',
      'status_checks_required',
      'secret_scanning',
      'secret_scanning_push_protection',
      'vulnerability_alerts',
      'security_policy',
      'outside_admin',
      'outside_write',
    ]);
  });

  test('given an unprotected default branch, then one finding, not one per protection rule', () => {
    expect(evaluateDrift(repo({ protection: null }), defaultBaseline).findings).toEqual([
      {
        repo: 'acme/api',
        check: 'default_branch_protected',
        expected: true,
        actual: false,
        severity: 'high',
      },
    ]);
  });

  test('given weak protection, weak settings and outside collaborators, then each check reports', () => {
    const { findings } = evaluateDrift(
      repo({
        protection: { requiredReviews: 0, requiresStatusChecks: false, enforceAdmins: false },
        secretScanning: 'disabled',
        security: { pushProtection: 'disabled', vulnerabilityAlerts: false, securityPolicy: false },
        collaborators: [
          { login: 'zed', permission: 'admin', outside: true },
          { login: 'amy', permission: 'admin', outside: true },
          { login: 'bob', permission: 'admin', outside: false },
          { login: 'cat', permission: 'write', outside: true },
          { login: 'dan', permission: 'read', outside: true },
        ],
      }),
      defaultBaseline,
    );
    expect(findings.map((f) => [f.check, f.expected, f.actual, f.severity])).toEqual([
      ['required_reviews', '>= 1', 0, 'medium'],
      ['stale_reviews_dismissed', true, false, 'low'],
      ['force_push_blocked', true, false, 'medium'],
      ['deletion_blocked', true, false, 'medium'],
      ['status_checks_required', true, false, 'low'],
      ['secret_scanning', 'enabled', 'disabled', 'medium'],
      ['secret_scanning_push_protection', 'enabled', 'disabled', 'low'],
      ['vulnerability_alerts', true, false, 'medium'],
      ['security_policy', true, false, 'low'],
      ['outside_admin', [], ['amy', 'zed'], 'high'],
      ['outside_write', [], ['cat'], 'medium'],
    ]);
  });

  test('given what the scan could not read, then it is neither a finding nor judged', () => {
    const unread = evaluateDrift(
      repo({
        protection: undefined,
        secretScanning: 'unknown',
        security: null,
        collaborators: null,
      }),
      defaultBaseline,
    );
    expect(unread).toEqual({ findings: [], evaluated: [] });
    expect(evaluateDrift(repo({ archived: true, protection: null }), defaultBaseline)).toEqual({
      findings: [],
      evaluated: [],
    });
    expect(
      checks(evaluateDrift(repo({ private: false, secretScanning: 'disabled' }), defaultBaseline)),
    ).toEqual([]);
  });

  test('given checks the permissions do not allow, then they are skipped, never judged', () => {
    const runnable = runnableChecks({ metadata: 'read', members: 'read' }, defaultBaseline);
    const { findings, evaluated } = evaluateDrift(
      repo({ protection: null }),
      defaultBaseline,
      runnable,
    );
    expect(findings).toEqual([]);
    expect(evaluated).toEqual(['security_policy', 'outside_admin', 'outside_write']);
  });

  test('the baseline is configurable: thresholds, severities, checks switched on and off', () => {
    const strict = parseBaseline(
      JSON.stringify({
        requiredReviews: { minimum: 2, severity: 'high' },
        adminsEnforced: { enabled: true },
        skipArchived: false,
        defaultBranchProtected: { enabled: false },
        staleReviewsDismissed: { enabled: false },
      }),
    );
    expect(
      checks(
        evaluateDrift(
          repo({ protection: { ...guarded, requiredReviews: 1, enforceAdmins: false } }),
          strict,
        ),
      ),
    ).toEqual(['required_reviews', 'admins_enforced']);
    expect(checks(evaluateDrift(repo({ archived: true, protection: null }), strict))).toEqual([]);
    expect(() => baselineSchema.parse({ requiredReviews: { minimum: 0 } })).toThrow();
    expect(() => parseBaseline('{"noSuchCheck": {"enabled": true}}')).toThrow();
  });
});

describe('drift of the organization', () => {
  test('given lax settings, then each organization check reports', () => {
    const { findings } = evaluateOrg(
      {
        login: 'acme',
        settings: {
          twoFactorRequired: false,
          defaultRepositoryPermission: 'write',
          membersCanCreatePublicRepositories: true,
        },
        owners: ['solo'],
        actions: { enabledRepositories: 'all', allowedActions: 'all' },
        workflow: { defaultWorkflowPermissions: 'write', canApprovePullRequestReviews: true },
        hooks: [
          { id: 1, url: 'https://b.example', hasSecret: false, insecureSsl: false },
          { id: 2, url: 'https://a.example', hasSecret: true, insecureSsl: true },
        ],
        teamAdminRepos: { platform: 11, docs: 2 },
      },
      defaultBaseline,
    );
    expect(findings.map((f) => [f.repo, f.check, f.actual])).toEqual([
      ['acme', 'org_two_factor_required', false],
      ['acme', 'org_default_repository_permission', 'write'],
      ['acme', 'org_public_repository_creation', true],
      ['acme', 'org_owner_count', 1],
      [
        'acme',
        'org_actions_token_permissions',
        { default_workflow_permissions: 'write', can_approve_pull_request_reviews: true },
      ],
      ['acme', 'org_actions_allowed', 'all'],
      ['acme', 'org_webhook_secret', ['https://b.example']],
      ['acme', 'org_webhook_ssl', ['https://a.example']],
      ['acme', 'team_admin_breadth', [{ team: 'platform', repositories: 11 }]],
    ]);
  });

  test('given nothing readable, then nothing judged', () => {
    expect(evaluateOrg({ login: 'acme' }, defaultBaseline)).toEqual({
      findings: [],
      evaluated: [],
    });
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
  test('lists each permission below what the enabled checks need', () => {
    expect(
      missingPermissions({ ...ALL_GRANTED, administration: 'write' }, defaultBaseline),
    ).toEqual([]);
    expect(missingPermissions({ metadata: 'read', contents: 'write' }, defaultBaseline)).toEqual([
      { permission: 'administration', required: 'read', granted: null },
      { permission: 'organization_administration', required: 'read', granted: null },
      { permission: 'members', required: 'read', granted: null },
      { permission: 'organization_hooks', required: 'read', granted: null },
    ]);
  });

  test('names each check that cannot run and the permission it lacks', () => {
    const skipped = skippedChecks(
      { ...ALL_GRANTED, organization_hooks: undefined as never },
      defaultBaseline,
    );
    expect(skipped).toEqual([
      {
        check: 'org_webhook_secret',
        permission: 'organization_hooks',
        required: 'read',
        granted: null,
      },
      {
        check: 'org_webhook_ssl',
        permission: 'organization_hooks',
        required: 'read',
        granted: null,
      },
    ]);
    // A switched-off check needs nothing.
    const quiet = parseBaseline(
      '{"webhookSecret":{"enabled":false},"webhookSsl":{"enabled":false}}',
    );
    expect(
      skippedChecks({ ...ALL_GRANTED, organization_hooks: undefined as never }, quiet),
    ).toEqual([]);
  });
});
