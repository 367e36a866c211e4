import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { startService } from '#libs/service-kit/src/index.js';
import { waitFor } from '#libs/testing/src/index.js';
import { apiGateway } from '../../apps/api-gateway/src/service.js';
import {
  startGithubSimulator,
  type GithubSimulator,
} from '../../tools/github-simulator/src/index.js';
import { startFakeSlack } from '../gateway/fake-slack.js';
import { client, createTeam, type Team } from '../gateway/support.js';
import { restClient } from '../rest/support.js';
import { startStack, type Stack } from '../support/stack.js';
import {
  payloadFor,
  post,
  signedDelivery,
  untilInstallationMapped,
} from '../webhooks/support/deliveries.js';

const SECRET = 'audit-webhook-secret';
const SLACK_TOKEN = 'xoxb-7777-audit-secret';
const ROLE_ARN = 'arn:aws:iam::123456789012:role/audit-secret-role';
const ROTATED_ARN = 'arn:aws:iam::123456789012:role/audit-rotated-role';

const ruleOn = (name: string, providers: ('github' | 'slack')[]) => ({
  name,
  trigger: { event: 'pull_request.opened' },
  conditions: providers.includes('github')
    ? [{ provider: 'github', check: 'pr.age', operator: 'gt', value: 48 }]
    : [{ provider: 'slack', check: 'channel.member_count', operator: 'gt', value: 10 }],
  actions: providers.includes('slack')
    ? [{ provider: 'slack', method: 'send_message', params: { channel: '#eng', text: 'look' } }]
    : [{ provider: 'github', method: 'add_label', params: { label: 'stale' } }],
});

/**
 * The audit trail over HTTP against the three services, real NATS and Postgres, a GitHub
 * simulator and a Slack stand-in. The tests run in order and tell one story: the seeds'
 * disconnect, then members and keys, then an uninstall delivery, then a rebuild by replay.
 */
describe('the audit trail over HTTP', () => {
  let sim: GithubSimulator;
  let slack: Awaited<ReturnType<typeof startFakeSlack>>;
  let stack: Stack;
  let call: ReturnType<typeof client>;
  let rest: ReturnType<typeof restClient>;
  let acme: Team;
  let globex: Team;
  let githubId: string;
  let registryId: string;
  const rules: Record<string, string> = {};
  /** Every raw body the audit routes answered, to search for secrets at the end. */
  const raw: string[] = [];

  const get = async (path: string, token: string, headers: Record<string, string> = {}) => {
    const response = await fetch(`${stack.gateway.url}${path}`, {
      headers: { authorization: `Token ${token}`, ...headers },
    });
    const text = await response.text();
    raw.push(text);
    return { status: response.status, headers: response.headers, text };
  };
  const json = async (path: string, token: string) => {
    const r = await get(path, token);
    return { status: r.status, body: JSON.parse(r.text) };
  };
  /** Every entry of a listing, following nextCursor. */
  const all = async (path: string, token: string, limit = 100) => {
    const entries: any[] = [];
    let cursor: string | null = null;
    do {
      const sep = path.includes('?') ? '&' : '?';
      const page = await json(
        `${path}${sep}limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`,
        token,
      );
      expect(page.status).toBe(200);
      entries.push(...page.body.entries);
      cursor = page.body.nextCursor;
    } while (cursor);
    return entries;
  };

  beforeAll(async () => {
    sim = await startGithubSimulator({ repos: 3, seed: 5 });
    slack = await startFakeSlack(SLACK_TOKEN);
    stack = await startStack({
      GITHUB_API_URL: sim.url,
      GITHUB_APP_ID: String(sim.appId),
      GITHUB_APP_PRIVATE_KEY_PATH: sim.privateKeyPath,
      GITHUB_WEBHOOK_SECRET: SECRET,
      SLACK_API_URL: slack.url,
    });
    call = client(stack.gateway.url);
    rest = restClient(stack.gateway.url);
    acme = await createTeam(stack, 'acme');
    globex = await createTeam(stack, 'globex');
  });

  afterAll(async () => {
    // The replay test starts a second gateway, which the stack does not know of.
    await stack?.gateway.close();
    await stack?.close();
    await slack?.close();
    await sim?.close();
  });

  test('the disconnect story: who disconnected, which rules it disabled, and that reconnecting re-enabled nothing', async () => {
    // Given GitHub and Slack connected and rules that need them
    const connected = await call('POST', '/api/integrations/github/connect', {
      token: acme.admin,
      body: { installationId: String(sim.installationId), accountLogin: sim.org.login },
    });
    expect(connected.status).toBe(201);
    githubId = connected.body.integration.id;
    expect(
      (
        await call('POST', '/api/integrations/slack/connect', {
          token: acme.owner,
          body: { botToken: SLACK_TOKEN },
        })
      ).status,
    ).toBe(201);
    for (const [key, providers] of [
      ['both', ['github', 'slack']],
      ['slackOnly', ['slack']],
      ['githubOnly', ['github']],
    ] as const) {
      const created = await call('POST', '/api/rules', {
        token: acme.member,
        body: ruleOn(key, [...providers]),
      });
      expect(created.status).toBe(201);
      rules[key] = created.body.rule.id;
    }

    // When the admin disconnects GitHub, then reconnects it
    const disconnected = await call('POST', '/api/integrations/github/disconnect', {
      token: acme.admin,
      body: { reason: 'rotating the app' },
    });
    expect(disconnected.status).toBe(200);
    const reconnected = await call('POST', '/api/integrations/github/connect', {
      token: acme.admin,
      body: { installationId: String(sim.installationId), accountLogin: sim.org.login },
    });
    expect(reconnected.status).toBe(200);

    // Then the audit log tells it, newest first
    const log = await json('/api/audit-log?resource_type=integration', acme.owner);
    expect(log.status).toBe(200);
    const github = log.body.entries.filter((e: any) => e.resource.id === githubId);
    expect(github.map((e: any) => e.action)).toEqual(['connected', 'disconnected', 'connected']);
    const disconnect = github[1];
    expect(disconnect.actor).toEqual({
      type: 'member',
      id: acme.memberIds.admin,
      email: 'admin@acme.io',
      apiKey: { id: expect.any(String), name: 'default', hint: expect.stringMatching(/^igw_/) },
    });
    expect(disconnect.changes).toMatchObject({
      status: 'disconnected',
      reason: 'rotating the app',
    });
    expect(disconnect.effects.map((e: any) => [e.action, e.resource.id]).sort()).toEqual(
      [
        ['rule_disabled', rules.both],
        ['rule_disabled', rules.githubOnly],
      ].sort(),
    );
    expect(disconnect.effects[0].resource.history).toMatch(/^\/api\/rules\/.+\/history$/);

    // and each disabled rule's history points back at the disconnect
    for (const id of [rules.both!, rules.githubOnly!]) {
      const history = await json(`/api/rules/${id}/history`, acme.viewer);
      expect(history.status).toBe(200);
      expect(history.body.entries.map((e: any) => e.action)).toEqual([
        'rule_created',
        'rule_disabled',
      ]);
      const disabled = history.body.entries[1];
      expect(disabled.cause).toEqual({
        id: disconnect.id,
        action: 'disconnected',
        occurredAt: disconnect.occurredAt,
        resource: {
          type: 'integration',
          id: githubId,
          history: `/api/integrations/${githubId}/history`,
        },
      });
      expect(disabled.actor.id).toBe(acme.memberIds.admin);
      expect(disabled.changes).toMatchObject({
        enabled: false,
        reason: 'integration_disconnected',
      });
    }
    const untouched = await json(`/api/rules/${rules.slackOnly}/history`, acme.member);
    expect(untouched.body.entries.map((e: any) => e.action)).toEqual(['rule_created']);

    // and reconnecting re-enabled nothing
    const enabled = await json('/api/audit-log?action=rule_enabled', acme.admin);
    expect(enabled.body.entries).toEqual([]);
  });

  test('an integration history is oldest first, newest first with order=desc, and pages by cursor', async () => {
    const oldest = await json(`/api/integrations/${githubId}/history`, acme.viewer);
    expect(oldest.body.entries.map((e: any) => e.action)).toEqual([
      'connected',
      'disconnected',
      'connected',
    ]);
    expect(oldest.body.entries[0].changes).toMatchObject({
      provider: 'github',
      config: { accountLogin: sim.org.login },
    });
    const newest = await json(`/api/integrations/${githubId}/history?order=desc`, acme.member);
    expect(newest.body.entries.map((e: any) => e.id)).toEqual(
      [...oldest.body.entries].reverse().map((e: any) => e.id),
    );
    const first = await json(`/api/integrations/${githubId}/history?limit=2`, acme.viewer);
    expect(first.body.entries).toHaveLength(2);
    const second = await json(
      `/api/integrations/${githubId}/history?limit=2&cursor=${first.body.nextCursor}`,
      acme.viewer,
    );
    expect(second.body.nextCursor).toBeNull();
    expect([...first.body.entries, ...second.body.entries].map((e: any) => e.id)).toEqual(
      oldest.body.entries.map((e: any) => e.id),
    );
  });

  test('viewers and members read resource history but get 403 on the workspace log', async () => {
    for (const token of [acme.viewer, acme.member]) {
      expect((await get(`/api/integrations/${githubId}/history`, token)).status).toBe(200);
      const forbidden = await json('/api/audit-log', token);
      expect(forbidden.status).toBe(403);
      expect(forbidden.body.error.code).toBe('forbidden');
    }
    expect((await get('/api/audit-log', acme.admin)).status).toBe(200);
    expect((await fetch(`${stack.gateway.url}/api/audit-log`)).status).toBe(401);
  });

  test("another workspace's entries are never visible; its ids answer 404", async () => {
    for (const path of [
      `/api/integrations/${githubId}/history`,
      `/api/rules/${rules.both}/history`,
      `/api/integrations/00000000-0000-4000-8000-000000000000/history`,
    ]) {
      const r = await json(path, globex.owner);
      expect(r.status).toBe(404);
    }
    const theirs = await get('/api/audit-log?limit=100', globex.owner);
    expect(theirs.status).toBe(200);
    expect(theirs.text).not.toContain(acme.workspaceId);
    expect(theirs.text).not.toContain(githubId);
    expect(theirs.text).not.toContain('acme.io');
    const filtered = await json(`/api/audit-log?resource_id=${githubId}`, globex.owner);
    expect(filtered.body.entries).toEqual([]);
    const mine = await all('/api/audit-log', acme.owner);
    expect(JSON.stringify(mine)).not.toContain(globex.workspaceId);
  });

  test('members and keys are in the log: added, issued, revoked, removed, by whom', async () => {
    // Given the owner adds a member, issues them a second key, revokes it, then removes them
    const added = await call('POST', '/api/workspace/members', {
      token: acme.owner,
      body: { email: 'temp@acme.io', role: 'member' },
    });
    expect(added.status).toBe(201);
    const memberId = added.body.member.id;
    const issued = await call('POST', '/api/workspace/tokens', {
      token: acme.owner,
      body: { name: 'ci', memberId },
    });
    expect(issued.status).toBe(201);
    expect(
      (await call('DELETE', `/api/workspace/tokens/${issued.body.id}`, { token: acme.owner }))
        .status,
    ).toBe(200);
    expect(
      (await call('DELETE', `/api/workspace/members/${memberId}`, { token: acme.owner })).status,
    ).toBe(204);

    // Then the log shows each change, with the owner as actor
    const log = await all(`/api/audit-log?order=asc&actor=${acme.memberIds.owner}`, acme.owner);
    const about = log.filter(
      (e: any) => e.resource.id === memberId || e.changes.member_id === memberId,
    );
    expect(about.map((e: any) => [e.action, e.resource.type])).toEqual([
      ['member_added', 'member'],
      ['api_key_issued', 'api_key'],
      ['api_key_issued', 'api_key'],
      ['api_key_revoked', 'api_key'],
      ['member_removed', 'member'],
      ['api_key_revoked', 'api_key'],
    ]);
    const removal = about[4];
    expect(removal.changes).toMatchObject({ email: 'temp@acme.io', role: 'member' });
    expect(removal.effects).toEqual([
      {
        id: about[5].id,
        action: 'api_key_revoked',
        resource: { type: 'api_key', id: added.body.tokenId },
      },
    ]);
    expect(about[5].cause).toMatchObject({ id: removal.id, action: 'member_removed' });
    expect(about.every((e: any) => e.actor.email === 'owner@acme.io')).toBe(true);
    // The keys' secrets were in the answers above, and are nowhere in the log.
    const everything = (await get('/api/audit-log?limit=100', acme.owner)).text;
    expect(everything).not.toContain(added.body.token);
    expect(everything).not.toContain(issued.body.token);
    // The team was made by the admin command line: a system actor.
    const setup = await json(`/api/audit-log?resource_type=workspace`, acme.owner);
    expect(setup.body.entries).toMatchObject([
      {
        action: 'workspace_created',
        actor: { type: 'system', name: 'admin-cli', description: 'admin command line' },
      },
    ]);
  });

  test('filters: resource type and id, actor, action, time range; bad ones are 400', async () => {
    const byAction = await all('/api/audit-log?action=rule_disabled', acme.owner);
    expect(byAction).toHaveLength(2);
    const byType = await all('/api/audit-log?resource_type=rule', acme.owner);
    expect(new Set(byType.map((e: any) => e.resource.type))).toEqual(new Set(['rule']));
    expect(byType.length).toBeGreaterThanOrEqual(5);
    const byActor = await all(`/api/audit-log?actor=${acme.memberIds.member}`, acme.owner);
    expect(byActor.map((e: any) => e.action)).toEqual([
      'rule_created',
      'rule_created',
      'rule_created',
    ]);
    const everything = await all('/api/audit-log', acme.owner);
    const middle = everything[Math.floor(everything.length / 2)];
    const before = await all(
      `/api/audit-log?to=${encodeURIComponent(middle.occurredAt)}`,
      acme.owner,
    );
    const since = await all(
      `/api/audit-log?from=${encodeURIComponent(middle.occurredAt)}`,
      acme.owner,
    );
    expect(before.length + since.length).toBe(everything.length);
    expect(since.every((e: any) => e.occurredAt >= middle.occurredAt)).toBe(true);
    expect(before.every((e: any) => e.occurredAt < middle.occurredAt)).toBe(true);

    for (const [query, field] of [
      ['limit=0', 'limit'],
      ['limit=101', 'limit'],
      ['order=sideways', 'order'],
      ['cursor=not-a-cursor', 'cursor'],
      ['resource_type=planet', 'resource_type'],
      ['from=yesterday', 'from'],
      ['from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z', 'to'],
      ['colour=blue', 'colour'],
    ]) {
      const r = await json(`/api/audit-log?${query}`, acme.owner);
      expect(r.status).toBe(400);
      expect(r.body.error.details.map((d: any) => d.field)).toEqual([field]);
    }
  });

  test('pagination stays stable while entries are added', async () => {
    // Given the log as it is now, newest first
    const before = await all('/api/audit-log', acme.owner);
    // When a client pages through it three at a time while changes keep arriving
    const seen: any[] = [];
    let cursor: string | null = null;
    let n = 0;
    do {
      const page = await json(
        `/api/audit-log?limit=3${cursor ? `&cursor=${cursor}` : ''}`,
        acme.owner,
      );
      seen.push(...page.body.entries);
      cursor = page.body.nextCursor;
      const created = await call('POST', '/api/rules', {
        token: acme.admin,
        body: ruleOn(`added while paging ${n++}`, ['slack']),
      });
      expect(created.status).toBe(201);
    } while (cursor);
    // Then it saw exactly what was there, each once, in order: the new entries are all newer
    expect(seen.map((e) => e.id)).toEqual(before.map((e) => e.id));
    // And paging oldest first shows the old entries first and every new one after them
    const after = await all('/api/audit-log?order=asc', acme.owner, 7);
    expect(after.slice(0, before.length).map((e) => e.id)).toEqual(
      [...before].reverse().map((e) => e.id),
    );
    expect(after.slice(before.length).map((e) => e.action)).toEqual(
      Array.from({ length: n }, () => 'rule_created'),
    );
  });

  test('credentials never appear: connected, rotated, exported', async () => {
    // Given a registry created and its credentials rotated over /rest
    const orgPath = `/rest/orgs/${acme.workspaceId}/integrations`;
    const created = await rest('POST', orgPath, {
      token: acme.admin,
      body: {
        data: {
          type: 'integration',
          attributes: {
            integration_type: 'ecr',
            profile_name: 'registry',
            credentials: { region: 'us-east-1', role_arn: ROLE_ARN },
          },
        },
      },
    });
    expect(created.status).toBe(201);
    const id = (registryId = created.body.data.id);
    const rotated = await rest('PATCH', `${orgPath}/${id}`, {
      token: acme.admin,
      body: {
        data: { type: 'integration', id, attributes: { credentials: { role_arn: ROTATED_ARN } } },
      },
    });
    expect(rotated.status).toBe(200);
    // Then its history says the credentials were rotated, and by whom, but never what they are
    const history = await json(`/api/integrations/${id}/history`, acme.viewer);
    expect(history.body.entries.map((e: any) => e.action)).toEqual([
      'created',
      'credentials_rotated',
    ]);
    expect(history.body.entries[1].actor.id).toBe(acme.memberIds.admin);
    const exported = await get('/api/audit-log', acme.owner, { accept: 'application/x-ndjson' });
    expect(exported.headers.get('content-type')).toMatch(/^application\/x-ndjson/);
    const lines = exported.text
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(lines.map((e) => e.id)).toEqual(
      (await all('/api/audit-log', acme.owner)).map((e) => e.id),
    );
    for (const body of raw) {
      for (const secret of [
        SLACK_TOKEN,
        ROLE_ARN,
        ROTATED_ARN,
        'us-east-1',
        'botToken',
        'role_arn',
      ]) {
        expect(body).not.toContain(secret);
      }
    }
  });

  test('/rest: the same history as a JSON:API collection, with its version, paging and errors', async () => {
    const path = `/rest/orgs/${acme.workspaceId}/integrations`;
    // Given the registry's settings switched back and forth, twelve entries in all
    for (let i = 0; i < 10; i++) {
      const r = await rest('PATCH', `${path}/${registryId}/settings`, {
        token: acme.admin,
        body: {
          data: {
            type: 'integration_settings',
            id: registryId,
            attributes: { broker_enabled: i % 2 === 0 },
          },
        },
      });
      expect(r.status).toBe(200);
    }
    // When a client pages through its events, ten at a time
    const first = await rest('GET', `${path}/${registryId}/events?limit=10`, {
      token: acme.viewer,
    });
    expect(first.status).toBe(200);
    expect(first.body.data).toHaveLength(10);
    expect(first.body.data[0]).toMatchObject({
      type: 'integration_event',
      attributes: { action: 'created', actor: { type: 'member', id: acme.memberIds.admin } },
    });
    expect(first.body.data[2].attributes).toMatchObject({
      action: 'settings_updated',
      changes: { broker_enabled: true },
    });
    expect(first.body.links.prev).toBeUndefined();
    const second = await rest('GET', first.body.links.next, { token: acme.viewer });
    expect(second.body.data.map((e: any) => e.attributes.action)).toEqual([
      'settings_updated',
      'settings_updated',
    ]);
    expect(second.body.links.next).toBeUndefined();
    const back = await rest('GET', second.body.links.prev, { token: acme.viewer });
    expect(back.body.data.map((e: any) => e.id)).toEqual(first.body.data.map((e: any) => e.id));
    for (const body of [first.body, second.body]) {
      for (const secret of [ROLE_ARN, ROTATED_ARN, 'us-east-1']) {
        expect(JSON.stringify(body)).not.toContain(secret);
      }
    }
    // Then it matches /api's history of the same integration
    const api = await all(`/api/integrations/${registryId}/history`, acme.viewer);
    expect([...first.body.data, ...second.body.data].map((e: any) => e.id)).toEqual(
      api.map((e) => e.id),
    );
    // And the rules of /rest hold: version, limit, cursors, orgs
    const github = await rest('GET', `${path}/${githubId}/events`, { token: acme.member });
    expect(github.body.data.map((e: any) => e.attributes.action)).toEqual([
      'connected',
      'disconnected',
      'connected',
    ]);
    expect(github.body.data[1].attributes.effects).toHaveLength(2);
    for (const [query, options, status, code] of [
      ['', { version: null }, 400, undefined],
      ['?limit=5', {}, 400, 'invalid_limit'],
      ['?starting_after=v1.forged.sig', {}, 400, 'invalid_cursor'],
      ['?filter[action]=connected', {}, 400, 'unknown_query_parameter'],
    ] as const) {
      const r = await rest('GET', `${path}/${githubId}/events${query}`, {
        token: acme.viewer,
        ...options,
      });
      expect(r.status).toBe(status);
      if (code) expect(r.body.errors[0].code).toBe(code);
    }
    const otherOrg = await rest('GET', `${path}/${githubId}/events`, { token: globex.owner });
    expect(otherOrg.status).toBe(404);
    const theirPath = `/rest/orgs/${globex.workspaceId}/integrations/${githubId}/events`;
    expect((await rest('GET', theirPath, { token: globex.owner })).status).toBe(404);
    // And both routes are in the OpenAPI document
    const doc = (await (await fetch(`${stack.gateway.url}/api/docs-json`)).json()) as any;
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/rest/orgs/{org_id}/integrations/{integration_id}/events',
        '/api/audit-log',
        '/api/integrations/{id}/history',
        '/api/rules/{id}/history',
      ]),
    );
  });

  test('a scan started is in the log, with who started it', async () => {
    const started = await call('POST', '/api/integrations/github/scan-org', { token: acme.admin });
    expect(started.status).toBe(202);
    const entry = await waitFor(
      async () => (await json('/api/audit-log?resource_type=scan', acme.owner)).body.entries[0],
      { what: 'the scan in the audit log' },
    );
    expect(entry).toMatchObject({
      action: 'scan_started',
      resource: { type: 'scan', id: started.body.scanId },
      actor: { type: 'member', id: acme.memberIds.admin, email: 'admin@acme.io' },
    });
  });

  test('an uninstall delivery disconnects GitHub with a system actor', async () => {
    // Given a rule that needs GitHub, enabled again by hand after the reconnect
    const enabled = await call('POST', `/api/rules/${rules.githubOnly}/enable`, {
      token: acme.member,
    });
    expect(enabled.status).toBe(200);
    await untilInstallationMapped(stack.gateway.url, SECRET, sim.installationId);
    // GitHub really removes the App (the scanner asks it before believing a delivery), and says so
    sim.deleteInstallation();
    const delivery = await signedDelivery(
      SECRET,
      'installation',
      payloadFor(sim.installationId, 'installation', 'deleted'),
    );
    expect((await post(stack.gateway.url, delivery)).status).toBe(202);
    const entry = await waitFor(
      async () => {
        const history = await json(
          `/api/integrations/${githubId}/history?order=desc&limit=1`,
          acme.viewer,
        );
        const last = history.body.entries[0];
        // The disconnect and the rule it disabled may land in two projection batches.
        return last?.action === 'disconnected' && last.effects.length > 0 ? last : undefined;
      },
      { what: 'the uninstall in the history' },
    );
    expect(entry.actor).toEqual({
      type: 'system',
      name: 'github-webhook',
      description: 'GitHub uninstall delivery',
    });
    expect(entry.cause).toEqual({ type: 'github_delivery', deliveryId: delivery.deliveryId });
    expect(entry.changes).toMatchObject({ reason: 'github_app_uninstalled' });
    // and the rule it disabled says so, with the same actor
    expect(entry.effects).toEqual([
      {
        id: expect.any(String),
        action: 'rule_disabled',
        resource: {
          type: 'rule',
          id: rules.githubOnly,
          history: `/api/rules/${rules.githubOnly}/history`,
        },
      },
    ]);
    const rule = await json(
      `/api/rules/${rules.githubOnly}/history?order=desc&limit=2`,
      acme.viewer,
    );
    expect(rule.body.entries.map((e: any) => e.action)).toEqual(['rule_disabled', 'rule_enabled']);
    expect(rule.body.entries[0]).toMatchObject({
      actor: { type: 'system', name: 'github-webhook', description: 'GitHub uninstall delivery' },
      cause: { id: entry.id, action: 'disconnected' },
    });
    expect(rule.body.entries[1].actor).toMatchObject({ type: 'member', id: acme.memberIds.member });
  });

  test('rebuilt by replay, the log answers the same pages', async () => {
    const pages = async () => ({
      acme: await all('/api/audit-log?order=asc', acme.owner, 5),
      globex: await all('/api/audit-log', globex.admin, 3),
      rule: await all(`/api/rules/${rules.both}/history`, acme.viewer, 1),
    });
    const live = await pages();
    // Given a gateway whose audit log and checkpoints are wiped
    await stack.gateway.close();
    const db = stack.integration.infra.dataSource;
    await db.query(`TRUNCATE gateway.audit_log, gateway.audit_members, gateway.audit_api_keys`);
    await db.query(
      `DELETE FROM gateway.projection_checkpoints WHERE projection LIKE 'gateway-audit-%'`,
    );
    // When it starts again and replays every stream
    stack.gateway = await startService(apiGateway as any, stack.env);
    const expected = live.acme.length + live.globex.length;
    await waitFor(
      async () => {
        const rows = await db.query(`SELECT count(*)::int AS n FROM gateway.audit_log`);
        return rows[0].n >= expected ? true : undefined;
      },
      { what: 'the replay' },
    );
    // Then the pages are the same
    expect(await pages()).toEqual(live);
  });
});
