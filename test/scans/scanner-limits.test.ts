import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { ScannerEventTypes, ScannerSubjects } from '#libs/contracts/src/index.js';
import { DEFAULT_PERMISSIONS, generateAppKeys } from '../../tools/github-simulator/src/index.js';
import { startScannerHarness, type ScannerHarness } from './support/scanner-harness.js';

async function scanToCompletion(h: ScannerHarness, workspaceId: string) {
  const reply = await h.request<{ scanId: string }>(ScannerSubjects.scanOrg, workspaceId);
  if (!reply.ok) throw new Error(JSON.stringify(reply.error));
  const completed = await h.waitForEvent(workspaceId, ScannerEventTypes.scanCompleted, 40_000);
  const rows = await h.db.query<{ state: string; n: number }>(
    `SELECT state, count(*)::int AS n FROM scanner.scan_repos WHERE scan_id = $1 GROUP BY state`,
    [reply.value.scanId],
  );
  return { scanId: reply.value.scanId, completed: completed.data, states: rows };
}

describe('a scan when GitHub pushes back', () => {
  let h: ScannerHarness;

  beforeAll(async () => {
    h = await startScannerHarness({ repos: 100, seed: 3 });
  });
  afterAll(() => h.close());

  test('secondary limits (403 and 429 with retry-after) slow the scan but skip nothing', async () => {
    for (const status of [403, 429] as const) {
      const workspaceId = randomUUID();
      await h.connectGithub(workspaceId);
      h.sim.resetStats();
      h.sim.setSecondary({ everyNth: 9, status, retryAfterSeconds: 1 });
      try {
        const { completed, states } = await scanToCompletion(h, workspaceId);
        expect(completed).toMatchObject({ reposScanned: 100, reposTotal: 100, reposFailed: 0 });
        expect(states).toEqual([{ state: 'done', n: 100 }]);
        expect(h.sim.stats().secondaryLimited).toBeGreaterThan(5);
      } finally {
        h.sim.setSecondary(undefined);
      }
    }
  });

  test('injected 502s are retried: every repository is scanned', async () => {
    const workspaceId = randomUUID();
    await h.connectGithub(workspaceId);
    h.sim.resetStats();
    h.sim.setFailRate(0.2);
    try {
      const { completed, states } = await scanToCompletion(h, workspaceId);
      expect(completed).toMatchObject({ reposScanned: 100, reposFailed: 0, failedRepos: [] });
      expect(states).toEqual([{ state: 'done', n: 100 }]);
      expect(h.sim.stats().injectedFailures).toBeGreaterThan(10);
    } finally {
      h.sim.setFailRate(0);
    }
  });

  test('narrowed permissions: checks that cannot run are skipped, never passed, and named', async () => {
    const workspaceId = randomUUID();
    await h.connectGithub(workspaceId);
    // Given an installation that may read repository metadata only,
    h.sim.setPermissions({ metadata: 'read' });
    try {
      // scan-permissions names what is missing and every check that cannot run;
      const permissions = await h.request<any>(ScannerSubjects.permissions, workspaceId);
      expect(permissions).toMatchObject({ ok: true, value: { sufficient: false } });
      const skipped = permissions.ok ? permissions.value.skippedChecks : [];
      expect(skipped.map((c: { check: string }) => c.check)).toEqual([
        'default_branch_protected',
        'required_reviews',
        'stale_reviews_dismissed',
        'force_push_blocked',
        'deletion_blocked',
        'status_checks_required',
        'secret_scanning',
        'secret_scanning_push_protection',
        'vulnerability_alerts',
        'outside_admin',
        'outside_write',
        'org_two_factor_required',
        'org_default_repository_permission',
        'org_public_repository_creation',
        'org_owner_count',
        'org_actions_token_permissions',
        'org_actions_allowed',
        'org_webhook_secret',
        'org_webhook_ssl',
        'team_admin_breadth',
      ]);
      expect(skipped[0]).toEqual({
        check: 'default_branch_protected',
        permission: 'administration',
        required: 'read',
        granted: null,
      });
      // when it scans, then it completes, marks the same checks skipped, and reports only what
      // it could judge: the security policy, which metadata shows.
      const { completed } = await scanToCompletion(h, workspaceId);
      expect(completed).toMatchObject({ reposScanned: 100, reposFailed: 0 });
      expect(completed.skippedChecks).toEqual(skipped);
      const checks = await h.db.query<{ check_name: string; n: number }>(
        `SELECT check_name, count(*)::int AS n FROM scanner.findings
         WHERE workspace_id = $1 GROUP BY check_name`,
        [workspaceId],
      );
      const expected = h.sim.org.repos.filter((r) => !r.archived && !r.securityPolicy).length;
      expect(checks).toEqual([{ check_name: 'security_policy', n: expected }]);
      expect(completed.findings).toBe(expected);
      const repos = await h.db.query(
        `SELECT protection, secret_scanning FROM scanner.repos WHERE workspace_id = $1`,
        [workspaceId],
      );
      expect(repos).toHaveLength(100);
      expect(repos.every((r) => r.protection?.unknown === true)).toBe(true);
      expect(repos.every((r) => r.secret_scanning === 'unknown')).toBe(true);
    } finally {
      h.sim.setPermissions(DEFAULT_PERMISSIONS);
    }
  }, 90_000);
});

describe('a repository that keeps failing', () => {
  let h: ScannerHarness;
  beforeAll(async () => {
    h = await startScannerHarness({ repos: 30, seed: 5 });
  });
  afterAll(() => h.close());

  test('is recorded as a failed repository, and the scan still completes', async () => {
    const broken = h.sim.org.repos[4]!.name;
    await h.sim.close();
    const workspaceId = randomUUID();
    // Same org, but one repository answers 502 to every call.
    const { startGithubSimulator } = await import('../../tools/github-simulator/src/index.js');
    const sim = await startGithubSimulator({
      repos: 30,
      seed: 5,
      failingRepos: [broken],
      privateKeyPath: h.sim.privateKeyPath,
      port: Number(new URL(h.sim.url).port),
    });
    try {
      await h.connectGithub(workspaceId);
      const { completed, states } = await scanToCompletion(h, workspaceId);
      expect(completed).toMatchObject({
        reposScanned: 30,
        reposTotal: 30,
        reposFailed: 1,
        failedRepos: [`acme/${broken}`],
      });
      expect(states.sort((a, b) => a.state.localeCompare(b.state))).toEqual([
        { state: 'done', n: 29 },
        { state: 'failed', n: 1 },
      ]);
      const [repo] = await h.db.query(
        `SELECT scan_state FROM scanner.repos WHERE workspace_id = $1 AND full_name = $2`,
        [workspaceId, `acme/${broken}`],
      );
      expect(repo).toEqual({ scan_state: 'failed' });
    } finally {
      await sim.close();
    }
  });
});

describe('a rate-limit budget that runs out mid-scan', () => {
  let h: ScannerHarness;
  beforeAll(async () => {
    h = await startScannerHarness({ repos: 90, seed: 11, rateLimit: 45, rateLimitWindowMs: 2_500 });
  });
  afterAll(() => h.close());

  test('pauses with status rate_limited and the reset time, then finishes with nothing skipped', async () => {
    const workspaceId = randomUUID();
    await h.connectGithub(workspaceId);
    const { completed, states } = await scanToCompletion(h, workspaceId);
    expect(completed).toMatchObject({ reposScanned: 90, reposTotal: 90, reposFailed: 0 });
    expect(states).toEqual([{ state: 'done', n: 90 }]);
    const limited = h
      .eventsOf(workspaceId, ScannerEventTypes.scanProgress)
      .map((e) => e.data)
      .filter((p) => p.status === 'rate_limited');
    expect(limited.length).toBeGreaterThan(0);
    expect(Date.parse(limited[0].rateLimitResetAt)).toBeGreaterThan(
      Date.parse(limited[0].startedAt),
    );
    expect(h.sim.stats().rateLimited).toBeGreaterThan(0);
    const findings = await h.db.query(
      `SELECT count(*)::int AS n FROM scanner.findings WHERE workspace_id = $1`,
      [workspaceId],
    );
    expect(findings[0]!.n).toBe(completed.findings);
  });
});

describe('an app whose credentials GitHub refuses', () => {
  let h: ScannerHarness;
  beforeAll(async () => {
    h = await startScannerHarness({ repos: 5 }, {}, { inProcessScanner: false });
    // Signed with a key GitHub does not know: the app JWT is refused with 401.
    await h.startScanner({
      GITHUB_APP_PRIVATE_KEY: generateAppKeys().privateKeyPem.replace(/\n/g, '\\n'),
    });
  });
  afterAll(() => h.close());

  test('fails the scan at once with the reason, instead of retrying forever', async () => {
    const workspaceId = randomUUID();
    await h.connectGithub(workspaceId);
    const reply = await h.request<{ scanId: string }>(ScannerSubjects.scanOrg, workspaceId);
    expect(reply.ok).toBe(true);
    const failed = await h.waitForEvent(workspaceId, ScannerEventTypes.scanFailed);
    expect(failed.data.reason).toMatch(/refused the app's credentials/);
    const again = await h.request<{ scanId: string; alreadyRunning: boolean }>(
      ScannerSubjects.scanOrg,
      workspaceId,
    );
    expect(again).toMatchObject({ ok: true, value: { alreadyRunning: false } });
  });
});
