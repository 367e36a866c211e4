import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createAppAuth } from '@octokit/auth-app';
import { Octokit } from '@octokit/rest';
import { generateAppKeys } from '../src/auth.js';
import { generateOrg } from '../src/org.js';
import { startGithubSimulator, type GithubSimulator } from '../src/server.js';

async function installationToken(
  sim: GithubSimulator,
  privateKey = sim.privateKeyPem,
  installationId = sim.installationId,
) {
  const auth = createAppAuth({
    appId: sim.appId,
    privateKey,
    installationId,
    request: (await import('@octokit/request')).request.defaults({ baseUrl: sim.url }),
  });
  return (await auth({ type: 'installation' })).token;
}

function call(sim: GithubSimulator, path: string, token: string, init: RequestInit = {}) {
  return fetch(`${sim.url}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${token}`, ...(init.headers ?? {}) },
  });
}

describe('the GitHub simulator', () => {
  let sim: GithubSimulator;
  let token: string;

  beforeAll(async () => {
    sim = await startGithubSimulator({ repos: 150, seed: 42, rateLimit: 40 });
    token = await installationToken(sim);
  });
  afterAll(() => sim.close());

  test('generates the same org from the same seed, with every kind of repository', () => {
    const again = generateOrg({ login: 'acme', repos: 150, seed: 42 });
    expect(again.repos).toEqual(sim.org.repos);
    const repos = sim.org.repos;
    expect(repos.some((r) => r.private) && repos.some((r) => !r.private)).toBe(true);
    expect(repos.some((r) => r.archived) && repos.some((r) => r.fork)).toBe(true);
    expect(repos.some((r) => r.protection === null)).toBe(true);
    expect(new Set(repos.map((r) => r.protection?.requiredReviews))).toEqual(
      new Set([undefined, 0, 1, 2]),
    );
    expect(repos.some((r) => r.secretScanning) && repos.some((r) => !r.secretScanning)).toBe(true);
    const outside = new Set(sim.org.outsideCollaborators.map((u) => u.login));
    expect(repos.some((r) => r.collaborators.some((c) => outside.has(c.login)))).toBe(true);
    expect(sim.org.teams.some((t) => [...t.repos.values()].includes('admin'))).toBe(true);
    expect(generateOrg({ login: 'acme', repos: 150, seed: 43 }).repos).not.toEqual(repos);
  });

  test('mints installation tokens from an app JWT and refuses a JWT signed by another key', async () => {
    expect(token).toMatch(/^ghs_/);
    const other = generateAppKeys().privateKeyPem;
    await expect(installationToken(sim, other)).rejects.toMatchObject({ status: 401 });
  });

  test('answers 401 "Bad credentials" without a valid installation token', async () => {
    const response = await call(sim, '/orgs/acme/repos', 'ghs_not-a-real-token');
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ message: 'Bad credentials' });
    const none = await fetch(`${sim.url}/orgs/acme/repos`);
    expect(none.status).toBe(401);
  });

  test('an expired installation token gets 401', async () => {
    const short = await startGithubSimulator({ repos: 3, tokenTtlMs: 50 });
    try {
      const t = await installationToken(short);
      expect((await call(short, '/orgs/acme/repos', t)).status).toBe(200);
      await new Promise((r) => setTimeout(r, 80));
      expect((await call(short, '/orgs/acme/repos', t)).status).toBe(401);
    } finally {
      await short.close();
    }
  });

  test('paginates with Link headers, per_page capped at 100, and Octokit follows them', async () => {
    const first = await call(sim, '/orgs/acme/repos?per_page=500', token);
    const body = (await first.json()) as Array<{ full_name: string }>;
    expect(body).toHaveLength(100);
    expect(first.headers.get('link')).toContain('rel="next"');
    expect(first.headers.get('link')).toContain('page=2');
    const octokit = new Octokit({ auth: token, baseUrl: sim.url });
    const all = await octokit.paginate(octokit.rest.repos.listForOrg, {
      org: 'acme',
      per_page: 40,
    });
    expect(all.map((r) => r.name)).toEqual(sim.org.repos.map((r) => r.name));
  });

  test('ETag + If-None-Match answers 304 and spends no budget', async () => {
    const first = await call(sim, '/orgs/acme/teams', token);
    const etag = first.headers.get('etag')!;
    const remaining = Number(first.headers.get('x-ratelimit-remaining'));
    const second = await call(sim, '/orgs/acme/teams', token, {
      headers: { 'if-none-match': etag },
    });
    expect(second.status).toBe(304);
    expect(Number(second.headers.get('x-ratelimit-remaining'))).toBe(remaining);
  });

  test('GraphQL reads repositories 100 at a time, validates against GitHub schema, reports cost', async () => {
    const query = `query($after: String) { rateLimit { cost remaining }
      organization(login: "acme") { repositories(first: 100, after: $after) {
        totalCount pageInfo { hasNextPage endCursor }
        nodes { databaseId nameWithOwner isPrivate isArchived
          defaultBranchRef { name branchProtectionRule { requiredApprovingReviewCount isAdminEnforced } } } } } }`;
    const response = await call(sim, '/graphql', token, {
      method: 'POST',
      body: JSON.stringify({ query }),
    });
    const body = (await response.json()) as any;
    expect(body.data.rateLimit.cost).toBe(1);
    expect(body.data.organization.repositories.totalCount).toBe(150);
    expect(body.data.organization.repositories.nodes).toHaveLength(100);
    const repo = sim.org.repos.find((r) => r.protection)!;
    const node = body.data.organization.repositories.nodes.find(
      (n: any) => n.databaseId === repo.id,
    );
    expect(node.defaultBranchRef.branchProtectionRule.requiredApprovingReviewCount).toBe(
      repo.protection!.requiredReviews,
    );
    const bad = await call(sim, '/graphql', token, {
      method: 'POST',
      body: JSON.stringify({ query: '{ organization(login: "acme") { notAField } }' }),
    });
    expect(((await bad.json()) as any).errors[0].message).toContain('notAField');
  });

  test('the budget runs out: 403 with remaining 0 until reset', async () => {
    const tiny = await startGithubSimulator({ repos: 3, rateLimit: 2, rateLimitWindowMs: 1_500 });
    try {
      const t = await installationToken(tiny);
      expect((await call(tiny, '/orgs/acme/teams', t)).status).toBe(200);
      expect((await call(tiny, '/orgs/acme/repos', t)).status).toBe(200);
      const limited = await call(tiny, '/orgs/acme/repos?page=2', t);
      expect(limited.status).toBe(403);
      expect(limited.headers.get('x-ratelimit-remaining')).toBe('0');
      expect(((await limited.json()) as any).message).toMatch(/rate limit exceeded/);
      const reset = Number(limited.headers.get('x-ratelimit-reset')) * 1000;
      await new Promise((r) => setTimeout(r, Math.max(0, reset - Date.now()) + 50));
      expect((await call(tiny, '/orgs/acme/repos?page=2', t)).status).toBe(200);
    } finally {
      await tiny.close();
    }
  });

  test('given two installations, each spends its own budget, and a refused write changes nothing', async () => {
    const tiny = await startGithubSimulator({ repos: 3, rateLimit: 1, extraInstallations: 1 });
    try {
      const first = await installationToken(tiny);
      const second = await installationToken(tiny, tiny.privateKeyPem, tiny.installationId + 1);
      const statuses = `/repos/acme/${tiny.org.repos[0]!.name}/statuses/${'b'.repeat(40)}`;
      const post = (state: string) =>
        call(tiny, statuses, first, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ state, context: `ci/${state}` }),
        });
      expect((await post('success')).status).toBe(201);
      const refused = await post('failure');
      expect(refused.status).toBe(403);
      expect(((await refused.json()) as any).message).toBe(
        `API rate limit exceeded for installation ID ${tiny.installationId}.`,
      );
      const listed = await call(
        tiny,
        `/repos/acme/${tiny.org.repos[0]!.name}/commits/${'b'.repeat(40)}/statuses`,
        second,
      );
      expect(listed.status).toBe(200);
      expect(listed.headers.get('x-ratelimit-remaining')).toBe('0');
      expect(((await listed.json()) as any[]).map((s) => s.context)).toEqual(['ci/success']);
      expect(tiny.stats().rateLimited).toBe(1);
    } finally {
      await tiny.close();
    }
  });

  test('secondary limits answer 403 or 429 with retry-after', async () => {
    sim.setSecondary({ everyNth: 1, status: 429, retryAfterSeconds: 3 });
    try {
      const response = await call(sim, '/orgs/acme/teams', token);
      expect(response.status).toBe(429);
      expect(response.headers.get('retry-after')).toBe('3');
      expect(((await response.json()) as any).message).toMatch(/secondary rate limit/);
    } finally {
      sim.setSecondary(undefined);
    }
  });

  test('narrowed installation permissions show in GET /app/installations/:id and refuse calls', async () => {
    sim.setPermissions({ metadata: 'read' });
    try {
      const auth = createAppAuth({ appId: sim.appId, privateKey: sim.privateKeyPem });
      const { token: jwt } = await auth({ type: 'app' });
      const response = await fetch(`${sim.url}/app/installations/${sim.installationId}`, {
        headers: { authorization: `Bearer ${jwt}` },
      });
      expect(((await response.json()) as any).permissions).toEqual({ metadata: 'read' });
      const fresh = await installationToken(sim);
      const teams = await call(sim, `/repos/acme/${sim.org.repos[0]!.name}/teams`, fresh);
      expect(teams.status).toBe(403);
      expect(((await teams.json()) as any).message).toBe('Resource not accessible by integration');
    } finally {
      sim.setPermissions({ metadata: 'read', administration: 'read', members: 'read' });
    }
  });

  test('injects 502s and latency, and counts what it served', async () => {
    sim.resetStats();
    sim.setFailRate(1);
    expect((await call(sim, '/orgs/acme/teams', token)).status).toBe(502);
    sim.setFailRate(0);
    sim.setLatency(60);
    const started = Date.now();
    expect((await call(sim, '/orgs/acme/teams', token)).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(55);
    sim.setLatency(0);
    const stats = (await (await fetch(`${sim.url}/_simulator/stats`)).json()) as any;
    expect(stats).toMatchObject({ requests: 2, injectedFailures: 1, restBudgetSpent: 1 });
  });
});
