import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { waitFor } from '#libs/testing/src/index.js';
import {
  DEFAULT_PERMISSIONS,
  rulesetsOf,
  rulesetTargetsBranch,
  startGithubSimulator,
  type GithubSimulator,
} from '../../tools/github-simulator/src/index.js';
import { startStack, type Stack } from '../support/stack.js';
import { client, createTeam, type Team } from '../support/gateway-api.js';

/**
 * The TinyOps Integrations API's GitHub scan endpoints end to end: HTTP -> gateway -> NATS -> integration service
 * and scanner -> the GitHub simulator, and back through SCANNER_EVENTS into the gateway's read
 * models.
 */
describe('GitHub organization scans over the API', () => {
  let sim: GithubSimulator;
  let stack: Stack;
  let team: Team;
  let api: ReturnType<typeof client>;

  beforeAll(async () => {
    sim = await startGithubSimulator({ repos: 120, seed: 7 });
    stack = await startStack({
      GITHUB_API_URL: sim.url,
      GITHUB_APP_ID: String(sim.appId),
      GITHUB_APP_PRIVATE_KEY_PATH: sim.privateKeyPath,
      GITHUB_RETRY_BASE_MS: '20',
    });
    api = client(stack.gateway.url);
    team = await createTeam(stack, 'scans');
  });
  afterAll(async () => {
    await stack.close();
    await sim.close();
  });

  test('before GitHub is connected: no repos (404), idle progress, null status, 409 on scan-org', async () => {
    expect(
      (await api('GET', '/api/integrations/github/repos', { token: team.member })).status,
    ).toBe(404);
    const progress = await api('GET', '/api/integrations/github/scan-progress', {
      token: team.owner,
    });
    expect(progress.body).toEqual({
      status: 'idle',
      progress: 0,
      reposScanned: 0,
      reposTotal: 0,
      startedAt: null,
    });
    const status = await api('GET', '/api/integrations/github/scan-status', { token: team.admin });
    expect(status.body).toEqual({
      lastCompletedAt: null,
      lastCompletedScanId: null,
      skippedChecks: [],
    });
    const scan = await api('POST', '/api/integrations/github/scan-org', { token: team.owner });
    expect(scan.status).toBe(409);
    expect(scan.body.error.code).toBe('github_not_connected');
  });

  test('scan endpoints need owner or admin: 403 naming the role, 401 without a key', async () => {
    for (const [method, path] of [
      ['POST', '/api/integrations/github/scan-org'],
      ['GET', '/api/integrations/github/scan-permissions'],
      ['GET', '/api/integrations/github/scan-progress'],
      ['GET', '/api/integrations/github/scan-progress/stream'],
      ['POST', '/api/integrations/github/scan-cache/invalidate'],
      ['GET', '/api/integrations/github/scan-status'],
      ['GET', '/api/integrations/github/findings'],
    ] as const) {
      const forbidden = await api(method, path, { token: team.member });
      expect(forbidden.status).toBe(403);
      expect(JSON.stringify(forbidden.body.error)).toMatch(/owner|admin/);
      expect((await api(method, path)).status).toBe(401);
    }
  });

  test('connecting GitHub lists its repositories before any scan', async () => {
    const connect = await api('POST', '/api/integrations/github/connect', {
      token: team.owner,
      body: { installationId: String(sim.installationId), accountLogin: sim.org.login },
    });
    expect(connect.status).toBe(201);
    const page = await waitFor(
      async () => {
        const r = await api('GET', '/api/integrations/github/repos?per_page=500', {
          token: team.viewer,
        });
        return r.status === 200 && r.body.total === 120 ? r.body : undefined;
      },
      // A bound on hanging, not a figure: discovery time is bench:scan's to measure.
      { timeoutMs: 60_000, what: 'discovered repositories' },
    );
    expect(page.per_page).toBe(100);
    expect(page.page).toBe(1);
    expect(page.repos).toHaveLength(100);
    const names = [...sim.org.repos].map((r) => `acme/${r.name}`).sort();
    expect(page.repos.map((r: any) => r.name)).toEqual(names.slice(0, 100));
    const first = sim.org.repos.find((r) => `acme/${r.name}` === names[0])!;
    expect(page.repos[0]).toEqual({
      id: `repo_${first.id}`,
      name: names[0],
      private: first.private,
    });
    const second = await api('GET', '/api/integrations/github/repos?per_page=100&page=2', {
      token: team.viewer,
    });
    expect(second.body.repos.map((r: any) => r.name)).toEqual(names.slice(100));
    const search = await api('GET', '/api/integrations/github/repos?search=BILLING-api', {
      token: team.viewer,
    });
    expect(search.body.repos.map((r: any) => r.name)).toEqual(
      names.filter((n) => n.includes('billing-api')),
    );
    const bad = await api('GET', '/api/integrations/github/repos?page=0', { token: team.viewer });
    expect(bad.status).toBe(400);
  });

  test('scan-permissions compares the installation with what a scan needs', async () => {
    const ok = await api('GET', '/api/integrations/github/scan-permissions', { token: team.admin });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ sufficient: true, missing: [] });
    sim.setPermissions({ metadata: 'read' });
    try {
      const narrowed = await api('GET', '/api/integrations/github/scan-permissions', {
        token: team.admin,
      });
      expect(narrowed.body.sufficient).toBe(false);
      expect(narrowed.body.missing).toEqual([
        { permission: 'administration', required: 'read', granted: null },
        { permission: 'organization_administration', required: 'read', granted: null },
        { permission: 'members', required: 'read', granted: null },
        { permission: 'organization_hooks', required: 'read', granted: null },
      ]);
      // Each check that cannot run is named with the permission it lacks.
      expect(narrowed.body.skippedChecks).toContainEqual({
        check: 'org_webhook_secret',
        permission: 'organization_hooks',
        required: 'read',
        granted: null,
      });
      expect(narrowed.body.skippedChecks).not.toContainEqual(
        expect.objectContaining({ check: 'security_policy' }),
      );
    } finally {
      sim.setPermissions(DEFAULT_PERMISSIONS);
    }
  });

  test('two scan-org calls at once start one scan; progress, SSE, findings and status follow it', async () => {
    const stream = await fetch(
      `${stack.gateway.url}/api/integrations/github/scan-progress/stream`,
      {
        headers: { authorization: `Bearer ${team.owner}` },
      },
    );
    expect(stream.headers.get('content-type')).toContain('text/event-stream');
    const [a, b] = await Promise.all([
      api('POST', '/api/integrations/github/scan-org', { token: team.owner }),
      api('POST', '/api/integrations/github/scan-org', { token: team.admin }),
    ]);
    expect(a.body.scanId).toBe(b.body.scanId);
    expect([a.status, b.status].sort()).toEqual([200, 202]);
    expect([a.body.alreadyRunning, b.body.alreadyRunning].sort()).toEqual([false, true]);

    const progress = await api('GET', '/api/integrations/github/scan-progress', {
      token: team.owner,
    });
    expect(Object.keys(progress.body).sort()).toEqual(
      ['progress', 'reposScanned', 'reposTotal', 'startedAt', 'status'].sort(),
    );

    const seen: any[] = [];
    const reader = stream.body!.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    while (!seen.some((p) => p.status === 'completed')) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value);
      for (const block of buffer.split('\n\n').slice(0, -1)) {
        const data = block.split('\n').find((l) => l.startsWith('data: '));
        if (data) seen.push(JSON.parse(data.slice(6)));
      }
      buffer = buffer.split('\n\n').at(-1)!;
    }
    await reader.cancel();
    expect(seen.at(-1)).toMatchObject({
      status: 'completed',
      progress: 100,
      reposScanned: 120,
      reposTotal: 120,
    });

    const done = await api('GET', '/api/integrations/github/scan-progress', { token: team.owner });
    expect(done.body).toEqual({
      status: 'completed',
      progress: 100,
      reposScanned: 120,
      reposTotal: 120,
      startedAt: a.body.startedAt,
    });
    const status = await api('GET', '/api/integrations/github/scan-status', { token: team.owner });
    expect(status.body.lastCompletedScanId).toBe(a.body.scanId);
    expect(Date.parse(status.body.lastCompletedAt)).toBeGreaterThan(Date.parse(a.body.startedAt));

    // Findings match the scanner's own table, page by page, and filter by severity/check/repo.
    const expected = await stack.db.query(
      `SELECT count(*)::int AS n FROM scanner.findings WHERE workspace_id = $1 AND state = 'open'`,
      [team.workspaceId],
    );
    const all = await api('GET', '/api/integrations/github/findings?per_page=100', {
      token: team.owner,
    });
    expect(all.body.total).toBe(expected[0]!.n);
    expect(all.body.total).toBeGreaterThan(0);
    // Unprotected as GitHub enforces it: no classic protection and no active ruleset with rules
    // that targets the default branch.
    const unprotected = sim.org.repos.filter(
      (r) =>
        !r.archived &&
        r.protection === null &&
        !rulesetsOf(sim.org, r, true).some(
          ({ ruleset }) =>
            ruleset.enforcement === 'active' &&
            ruleset.rules.length > 0 &&
            rulesetTargetsBranch(ruleset, r, r.defaultBranch),
        ),
    ).length;
    expect(unprotected).toBeLessThan(
      sim.org.repos.filter((r) => !r.archived && r.protection === null).length,
    );
    const check = await api(
      'GET',
      '/api/integrations/github/findings?check=default_branch_protected&per_page=100',
      { token: team.owner },
    );
    expect(check.body.total).toBe(unprotected);
    expect(check.body.findings.every((f: any) => f.severity === 'high')).toBe(true);
    const one = check.body.findings[0];
    const byRepo = await api('GET', `/api/integrations/github/findings?repo=${one.repo}`, {
      token: team.owner,
    });
    expect(byRepo.body.findings.every((f: any) => f.repo === one.repo)).toBe(true);
    const badSeverity = await api('GET', '/api/integrations/github/findings?severity=urgent', {
      token: team.owner,
    });
    expect(badSeverity.status).toBe(400);
  });

  test('a warm rescan reads through ETags; after invalidation it reads everything again', async () => {
    const scanOnce = async () => {
      sim.resetStats();
      const started = await api('POST', '/api/integrations/github/scan-org', { token: team.owner });
      expect(started.status).toBe(202);
      await waitFor(
        async () => {
          const s = await api('GET', '/api/integrations/github/scan-status', { token: team.owner });
          return s.body.lastCompletedScanId === started.body.scanId ? true : undefined;
        },
        { timeoutMs: 20_000, what: 'the rescan to complete' },
      );
      return sim.stats();
    };
    const warm = await scanOnce();
    expect(warm.notModified).toBeGreaterThanOrEqual(120);
    expect(warm.restBudgetSpent).toBe(0);
    const invalidate = await api('POST', '/api/integrations/github/scan-cache/invalidate', {
      token: team.admin,
    });
    expect(invalidate.status).toBe(200);
    expect(invalidate.body.cachedResponsesCleared).toBeGreaterThan(120);
    const cold = await scanOnce();
    expect(cold.notModified).toBe(0);
    expect(cold.restBudgetSpent).toBeGreaterThanOrEqual(120);
  });
});
