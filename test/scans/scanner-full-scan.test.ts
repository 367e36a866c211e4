import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { ScannerEventTypes, ScannerSubjects, type Finding } from '#libs/contracts/src/index.js';
import { orgFromRepos, pullRequest } from '../../tools/github-simulator/src/index.js';
import { startScannerHarness, type ScannerHarness } from './support/scanner-harness.js';

/** Classic protection that meets the default baseline but for its review count. */
const protectedWith = (requiredReviews: number) => ({
  requiredReviews,
  requiresStatusChecks: true,
  statusChecks: ['ci/build'],
  enforceAdmins: false,
  dismissStaleReviews: true,
  allowsForcePushes: false,
  allowsDeletions: false,
});

/** Rules that meet the default baseline, as a ruleset states them. */
const goodRules = (reviews: number) => [
  { type: 'deletion' },
  { type: 'non_fast_forward' },
  {
    type: 'required_status_checks',
    parameters: {
      strict_required_status_checks_policy: true,
      required_status_checks: [{ context: 'ci/build' }],
    },
  },
  {
    type: 'pull_request',
    parameters: pullRequest(reviews, { dismiss_stale_reviews_on_push: true }),
  },
];

/**
 * Eleven repositories and an organization whose drift is known by construction: classic
 * protection, protection by a repository ruleset alone, by an organization ruleset that targets
 * repositories by name, rulesets that enforce nothing (evaluate, disabled), and settings.
 */
const org = orgFromRepos(
  'acme',
  [
    { name: 'api', private: true, protection: protectedWith(2), secretScanning: true },
    { name: 'web', private: false, protection: null, secretScanning: true },
    { name: 'billing', private: true, protection: protectedWith(0), secretScanning: false },
    { name: 'legacy', private: true, archived: true, protection: null, secretScanning: false },
    {
      name: 'tools',
      private: false,
      protection: protectedWith(1),
      collaborators: [
        { login: 'contractor-x', permission: 'admin' },
        { login: 'dev-1', permission: 'admin' },
        { login: 'contractor-y', permission: 'push' },
      ],
    },
    {
      name: 'docs',
      private: false,
      fork: true,
      protection: protectedWith(1),
      secretScanning: false,
      vulnerabilityAlerts: false,
      securityPolicy: false,
    },
    {
      // Protected by its own ruleset alone, which admins may bypass.
      name: 'rules-only',
      protection: null,
      rulesets: [
        {
          id: 501,
          name: 'main',
          enforcement: 'active',
          target: 'branch',
          include: ['~DEFAULT_BRANCH'],
          rules: goodRules(1),
          bypassActors: [{ actorId: 5, actorType: 'RepositoryRole', bypassMode: 'always' }],
        },
      ],
    },
    {
      // Rulesets that enforce nothing do not protect it.
      name: 'trial',
      protection: null,
      rulesets: [
        {
          id: 502,
          name: 'trying',
          enforcement: 'evaluate',
          target: 'branch',
          include: ['~DEFAULT_BRANCH'],
          rules: goodRules(2),
        },
        {
          id: 503,
          name: 'off',
          enforcement: 'disabled',
          target: 'branch',
          include: ['~ALL'],
          rules: goodRules(2),
        },
      ],
    },
    // Classic protection without reviews, and the organization's ruleset asking for two.
    { name: 'payments-api', protection: protectedWith(0) },
    // The organization's ruleset excludes it by name.
    { name: 'payments-sdk', protection: null },
  ],
  [{ slug: 'platform', repos: { api: 'admin', web: 'push' } }],
  ['contractor-x', 'contractor-y'],
  {
    owners: ['owner-1'],
    hooks: [
      { id: 1, url: 'https://hooks.example.com/signed', secret: true, insecureSsl: false },
      { id: 2, url: 'https://hooks.example.com/no-secret', secret: false, insecureSsl: false },
    ],
    rulesets: [
      {
        id: 900,
        name: 'payments',
        enforcement: 'active',
        target: 'branch',
        include: ['~DEFAULT_BRANCH'],
        repositoryInclude: ['payments-*'],
        repositoryExclude: ['payments-sdk'],
        rules: goodRules(2),
        bypassActors: [{ actorId: null, actorType: 'OrganizationAdmin', bypassMode: 'always' }],
      },
      {
        id: 901,
        name: 'release branches',
        enforcement: 'active',
        target: 'branch',
        include: ['refs/heads/release/*'],
        repositoryInclude: ['~ALL'],
        rules: [{ type: 'deletion' }],
      },
      {
        id: 902,
        name: 'everything, evaluate only',
        enforcement: 'evaluate',
        target: 'branch',
        include: ['~ALL'],
        repositoryInclude: ['~ALL'],
        rules: goodRules(3),
      },
    ],
  },
);

describe('a full scan of an organization', () => {
  let h: ScannerHarness;
  const workspaceId = randomUUID();

  beforeAll(async () => {
    h = await startScannerHarness({ org });
    await h.connectGithub(workspaceId);
  });
  afterAll(() => h.close());

  test('connecting GitHub discovers the repositories before any scan', async () => {
    const discovered = await h.waitForEvent(workspaceId, ScannerEventTypes.reposUpdated);
    expect(discovered.data.repos.map((r: any) => r.fullName).sort()).toEqual([
      'acme/api',
      'acme/billing',
      'acme/docs',
      'acme/legacy',
      'acme/payments-api',
      'acme/payments-sdk',
      'acme/rules-only',
      'acme/tools',
      'acme/trial',
      'acme/web',
    ]);
    expect(discovered.data.repos.every((r: any) => r.scanState === 'discovered')).toBe(true);
    expect(h.eventsOf(workspaceId, ScannerEventTypes.scanStarted)).toHaveLength(0);
  });

  test('finds exactly the expected drift, with repo, check, expected, actual and severity', async () => {
    h.sim.resetStats();
    const reply = await h.request<any>(ScannerSubjects.scanOrg, workspaceId);
    expect(reply).toMatchObject({ ok: true, value: { status: 'queued', alreadyRunning: false } });
    const completed = await h.waitForEvent(workspaceId, ScannerEventTypes.scanCompleted);
    expect(completed.data).toMatchObject({
      reposScanned: 10,
      reposTotal: 10,
      reposFailed: 0,
      findings: 11,
      skippedChecks: [],
    });
    const findings = await h.db.query<Finding>(
      `SELECT repo, check_name AS "check", expected, actual, severity FROM scanner.findings
       WHERE workspace_id = $1 AND state = 'open' ORDER BY repo, check_name`,
      [workspaceId],
    );
    const missing = (repo: string) => ({
      repo,
      check: 'default_branch_protected',
      expected: true,
      actual: false,
      severity: 'high',
    });
    expect(findings).toEqual([
      { repo: 'acme', check: 'org_owner_count', expected: '2..5', actual: 1, severity: 'medium' },
      {
        repo: 'acme',
        check: 'org_webhook_secret',
        expected: [],
        actual: ['https://hooks.example.com/no-secret'],
        severity: 'high',
      },
      {
        repo: 'acme/billing',
        check: 'required_reviews',
        expected: '>= 1',
        actual: 0,
        severity: 'medium',
      },
      {
        repo: 'acme/billing',
        check: 'secret_scanning',
        expected: 'enabled',
        actual: 'disabled',
        severity: 'medium',
      },
      {
        repo: 'acme/docs',
        check: 'security_policy',
        expected: true,
        actual: false,
        severity: 'low',
      },
      {
        repo: 'acme/docs',
        check: 'vulnerability_alerts',
        expected: true,
        actual: false,
        severity: 'medium',
      },
      missing('acme/payments-sdk'),
      {
        repo: 'acme/tools',
        check: 'outside_admin',
        expected: [],
        actual: ['contractor-x'],
        severity: 'high',
      },
      {
        repo: 'acme/tools',
        check: 'outside_write',
        expected: [],
        actual: ['contractor-y'],
        severity: 'medium',
      },
      missing('acme/trial'),
      missing('acme/web'),
    ]);
    // The same findings reached the bus, for the gateway's read model: each opening is an
    // event, and the repositories' open findings travel with them.
    const scanId = (reply as { value: { scanId: string } }).value.scanId;
    const opened = h.eventsOf(workspaceId, ScannerEventTypes.findingOpened).map((e) => e.data);
    expect(opened).toHaveLength(11);
    expect(opened.every((f) => f.scanId === scanId && f.cause === 'scan')).toBe(true);
    const published = h
      .eventsOf(workspaceId, ScannerEventTypes.reposUpdated)
      .filter((e) => e.data.scanId === scanId)
      .flatMap((e) => e.data.repos.flatMap((r: any) => r.findings ?? []));
    expect(published).toHaveLength(9);
    // Rulesets cost a request only when an active one binds the default branch (rules-only);
    // the organization's are read once.
    const byRoute = h.sim.stats().byRoute;
    expect(byRoute['^\\/repos\\/([^/]+)\\/([^/]+)\\/rulesets\\/(\\d+)$']).toBe(1);
    expect(byRoute['^\\/orgs\\/([^/]+)\\/rulesets$']).toBe(1);
    expect(byRoute['^\\/orgs\\/([^/]+)\\/rulesets\\/(\\d+)$']).toBe(2);
  });

  test('protection combines classic protection and rulesets, and notes who may bypass', async () => {
    const rows = await h.db.query(
      `SELECT full_name, protection FROM scanner.repos WHERE workspace_id = $1`,
      [workspaceId],
    );
    const protection = (name: string) => rows.find((r) => r.full_name === name)!.protection;
    expect(protection('acme/rules-only')).toMatchObject({
      requiredReviews: 1,
      blocksForcePushes: true,
      blocksDeletions: true,
      enforceAdmins: false,
      sources: [{ kind: 'repository_ruleset', id: 501, name: 'main' }],
      bypassActors: [{ rulesetId: 501, actorType: 'RepositoryRole', actorId: 5 }],
    });
    expect(protection('acme/payments-api')).toMatchObject({
      requiredReviews: 2,
      sources: [
        { kind: 'classic', id: null },
        { kind: 'organization_ruleset', id: 900 },
      ],
      bypassActors: [{ rulesetId: 900, actorType: 'OrganizationAdmin', actorId: null }],
    });
    expect(protection('acme/trial')).toBeNull();
    expect(protection('acme/payments-sdk')).toBeNull();
  });

  test('records visibility, protection, collaborators and teams per repository', async () => {
    const rows = await h.db.query(
      `SELECT full_name, private, archived, fork, default_branch, protection, collaborators, teams, secret_scanning
       FROM scanner.repos WHERE workspace_id = $1 ORDER BY full_name`,
      [workspaceId],
    );
    const api = rows.find((r) => r.full_name === 'acme/api')!;
    expect(api).toMatchObject({
      private: true,
      default_branch: 'main',
      protection: { requiredReviews: 2, requiresStatusChecks: true, enforceAdmins: false },
      teams: [{ slug: 'platform', permission: 'admin' }],
      secret_scanning: 'enabled',
    });
    const tools = rows.find((r) => r.full_name === 'acme/tools')!;
    expect(tools.collaborators).toEqual([
      { login: 'contractor-x', permission: 'admin', outside: true },
      { login: 'dev-1', permission: 'admin', outside: false },
      { login: 'contractor-y', permission: 'write', outside: true },
    ]);
    expect(rows.find((r) => r.full_name === 'acme/docs')).toMatchObject({ fork: true });
  });

  test('progress events count up to the total and the last one is complete', async () => {
    const progress = h.eventsOf(workspaceId, ScannerEventTypes.scanProgress).map((e) => e.data);
    expect(progress.length).toBeGreaterThan(0);
    const counts = progress.map((p) => p.reposScanned);
    expect([...counts].sort((a, b) => a - b)).toEqual(counts);
    expect(progress.at(-1)).toMatchObject({ reposScanned: 10, reposTotal: 10, status: 'scanning' });
  });
});
