import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { ALL_SCAN_CHECKS } from '#libs/contracts/src/index.js';
import { waitFor } from '#libs/testing/src/index.js';
import {
  orgFromRepos,
  pullRequest,
  startGithubSimulator,
  type GithubSimulator,
  type SimRuleset,
} from '../../tools/github-simulator/src/index.js';
import { client, createTeam, type Team } from '../support/gateway-api.js';
import { startStack, type Stack } from '../support/stack.js';
import {
  payloadFor,
  post,
  signedDelivery,
  untilInstallationMapped,
} from '../webhooks/support/deliveries.js';

const SECRET = 'lifecycle-webhook-secret';

/** A repository ruleset that protects the default branch as the default baseline wants. */
const protectingRuleset: SimRuleset = {
  id: 777,
  name: 'protect main',
  enforcement: 'active',
  target: 'branch',
  include: ['~DEFAULT_BRANCH'],
  rules: [
    { type: 'deletion' },
    { type: 'non_fast_forward' },
    { type: 'required_status_checks', parameters: { required_status_checks: [] } },
    { type: 'pull_request', parameters: pullRequest(1, { dismiss_stale_reviews_on_push: true }) },
  ],
};

/**
 * Findings with a lifecycle, through the three services: a scan opens a finding, a webhook shows
 * it fixed (by a ruleset alone) and resolves it, a later scan sees it again and reopens it; the
 * repository's history reads back each change. The same findings export as SARIF (valid against
 * the OASIS schema) and CSV.
 */
describe('findings with a lifecycle', () => {
  let sim: GithubSimulator;
  let stack: Stack;
  let team: Team;
  let api: ReturnType<typeof client>;

  const scan = async () => {
    const started = await api('POST', '/api/integrations/github/scan-org', { token: team.owner });
    expect(started.status).toBe(202);
    await waitFor(
      async () => {
        const s = await api('GET', '/api/integrations/github/scan-status', { token: team.owner });
        return s.body.lastCompletedScanId === started.body.scanId ? true : undefined;
      },
      { timeoutMs: 30_000, what: 'the scan to complete' },
    );
    return started.body.scanId as string;
  };
  const findingsOf = async (query: string) =>
    (await api('GET', `/api/integrations/github/findings?${query}`, { token: team.owner })).body;

  beforeAll(async () => {
    sim = await startGithubSimulator({
      org: orgFromRepos(
        'acme',
        [
          { name: 'web', protection: null },
          {
            name: 'api',
            private: true,
            secretScanning: false,
            protection: {
              requiredReviews: 0,
              requiresStatusChecks: true,
              statusChecks: ['ci'],
              enforceAdmins: false,
              dismissStaleReviews: true,
            },
            collaborators: [{ login: 'contractor, "the" =boss', permission: 'push' }],
          },
        ],
        [],
        ['contractor, "the" =boss'],
      ),
    });
    stack = await startStack({
      GITHUB_API_URL: sim.url,
      GITHUB_APP_ID: String(sim.appId),
      GITHUB_APP_PRIVATE_KEY_PATH: sim.privateKeyPath,
      GITHUB_RETRY_BASE_MS: '20',
      GITHUB_WEBHOOK_SECRET: SECRET,
    });
    api = client(stack.gateway.url);
    team = await createTeam(stack, 'lifecycle');
    const connected = await api('POST', '/api/integrations/github/connect', {
      token: team.owner,
      body: { installationId: String(sim.installationId), accountLogin: 'acme' },
    });
    expect(connected.status).toBe(201);
    await untilInstallationMapped(stack.gateway.url, SECRET, sim.installationId);
  });

  afterAll(async () => {
    await stack?.close();
    await sim?.close();
  });

  test('opened by a scan, resolved by a webhook, reopened by a later scan, with its history', async () => {
    // Given a repository whose default branch nothing protects, when the org is scanned,
    const firstScan = await scan();
    const opened = await findingsOf('repo=acme/web&check=default_branch_protected');
    // then the finding is open, first and last seen now.
    expect(opened.findings).toEqual([
      expect.objectContaining({
        repo: 'acme/web',
        check: 'default_branch_protected',
        state: 'open',
        resolvedAt: null,
      }),
    ]);
    const firstSeenAt = opened.findings[0].firstSeenAt;
    expect(firstSeenAt).toEqual(opened.findings[0].lastSeenAt);

    // When a ruleset alone comes to protect it and GitHub says so with a webhook,
    sim.org.repos.find((r) => r.name === 'web')!.rulesets = [protectingRuleset];
    const payload = payloadFor(sim.installationId, 'repository_ruleset', 'created');
    const web = sim.org.repos.find((r) => r.name === 'web')!;
    Object.assign(payload.repository, { id: web.id, name: 'web', full_name: 'acme/web' });
    const delivery = await signedDelivery(SECRET, 'repository_ruleset', payload);
    expect((await post(stack.gateway.url, delivery)).status).toBe(202);
    // then the finding is resolved, not deleted: gone from the open ones, listed as resolved.
    const resolved = await waitFor(
      async () => {
        const body = await findingsOf('state=resolved&repo=acme/web');
        return body.total === 1 ? body.findings[0] : undefined;
      },
      { timeoutMs: 20_000, what: 'the webhook to resolve the finding' },
    );
    expect(resolved).toMatchObject({ check: 'default_branch_protected', state: 'resolved' });
    expect(Date.parse(resolved.resolvedAt)).toBeGreaterThanOrEqual(Date.parse(firstSeenAt));
    expect((await findingsOf('repo=acme/web')).total).toBe(0);

    // When the ruleset is switched to evaluate (it enforces nothing) and a later scan runs,
    protectingRuleset.enforcement = 'evaluate';
    const thirdScan = await scan();
    // then the finding is open again, first seen anew.
    const reopened = await findingsOf('repo=acme/web&check=default_branch_protected');
    expect(reopened.findings).toEqual([
      expect.objectContaining({ state: 'open', resolvedAt: null }),
    ]);
    expect(Date.parse(reopened.findings[0].firstSeenAt)).toBeGreaterThan(Date.parse(firstSeenAt));

    // And the repository's history reads back each change, with its cause.
    const history = await api(
      'GET',
      '/api/integrations/github/findings/history?repo=acme/web&check=default_branch_protected',
      { token: team.owner },
    );
    expect(history.status).toBe(200);
    expect(history.body.changes.map((c: any) => [c.change, c.cause, c.scanId])).toEqual([
      ['opened', 'scan', firstScan],
      ['resolved', 'webhook', null],
      ['opened', 'scan', thirdScan],
    ]);
    const missingRepo = await api('GET', '/api/integrations/github/findings/history', {
      token: team.owner,
    });
    expect(missingRepo.status).toBe(400);
    const badState = await findingsOf('state=gone');
    expect(badState.error.code).toBeDefined();
  });

  test('findings as SARIF 2.1.0, valid against the OASIS schema, one rule per check', async () => {
    await scan();
    const byHeader = await fetch(`${stack.gateway.url}/api/integrations/github/findings`, {
      headers: { authorization: `Token ${team.owner}`, accept: 'application/sarif+json' },
    });
    expect(byHeader.status).toBe(200);
    expect(byHeader.headers.get('content-type')).toMatch(/^application\/sarif\+json/);
    const sarif = (await byHeader.json()) as any;

    // The OASIS schema is draft-04; its only draft-04 keyword is `id`, read here as `$id`.
    const {
      id,
      $schema: _draft,
      ...schema
    } = JSON.parse(
      readFileSync(new URL('./fixtures/sarif-schema-2.1.0.json', import.meta.url), 'utf8'),
    );
    const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;
    const validate = addFormats(new Ajv({ strict: false, allErrors: true })).compile({
      ...schema,
      $id: id,
    });
    expect(validate(sarif) ? [] : validate.errors).toEqual([]);
    // The schema is live: a log without runs, or a result with a made-up kind, is refused.
    expect(validate({ version: '2.1.0' })).toBe(false);
    const broken = structuredClone(sarif);
    broken.runs[0].results[0].kind = 'bogus';
    expect(validate(broken)).toBe(false);

    const run = sarif.runs[0];
    expect(run.tool.driver.rules.map((r: any) => r.id)).toEqual(ALL_SCAN_CHECKS.map((c) => c.id));
    const rule = run.tool.driver.rules.find((r: any) => r.id === 'default_branch_protected');
    expect(rule.help.text).toContain('Protect the default branch');
    expect(rule.helpUri).toMatch(/^https:\/\/docs\.github\.com\//);
    const open = (await findingsOf('per_page=100')).findings;
    expect(run.results).toHaveLength(open.length);
    expect(run.results).toContainEqual(
      expect.objectContaining({
        ruleId: 'required_reviews',
        level: 'warning',
        kind: 'fail',
        locations: [
          expect.objectContaining({
            logicalLocations: [{ fullyQualifiedName: 'acme/api', kind: 'repository' }],
          }),
        ],
      }),
    );
    // `?format=sarif` answers the same document.
    const byQuery = await api('GET', '/api/integrations/github/findings?format=sarif', {
      token: team.owner,
    });
    expect(byQuery.body.runs[0].results).toHaveLength(open.length);
  });

  test('findings as CSV, quoted for spreadsheets', async () => {
    await scan();
    const response = await fetch(
      `${stack.gateway.url}/api/integrations/github/findings?format=csv&repo=acme/api`,
      { headers: { authorization: `Token ${team.owner}` } },
    );
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/csv/);
    const text = await response.text();
    const lines = text.split('\r\n');
    expect(lines[0]).toBe(
      'repo,check,severity,state,expected,actual,first_seen_at,last_seen_at,resolved_at',
    );
    expect(lines.at(-1)).toBe('');
    // A value with a comma and quotes is quoted with the quotes doubled.
    const outside = lines.find((l) => l.startsWith('acme/api,outside_write,'))!;
    expect(outside).toContain(',"[""contractor, \\""the\\"" =boss""]",');
    expect(lines.find((l) => l.startsWith('acme/api,required_reviews,'))).toMatch(
      /^acme\/api,required_reviews,medium,open,>= 1,0,\d{4}-.*Z,\d{4}-.*Z,$/,
    );
  });
});
