import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { startService } from '#libs/service-kit/src/index.js';
import { waitFor } from '#libs/testing/src/index.js';
import { WorkspaceStore } from '../../apps/api-gateway/src/auth/index.js';
import { apiGateway } from '../../apps/api-gateway/src/service.js';
import {
  startGithubSimulator,
  type GithubSimulator,
} from '../../tools/github-simulator/src/index.js';
import { startFakeSlack } from '../support/fake-slack.js';
import { client, createTeam, type Team } from '../support/gateway-api.js';
import { restClient } from '../support/rest-api.js';
import { startStack, type Stack } from '../support/stack.js';
import {
  payloadFor,
  post,
  signedDelivery,
  untilInstallationMapped,
} from '../webhooks/support/deliveries.js';
import {
  startGithubWithUninstalls,
  type GithubWithUninstalls,
} from './support/github-uninstalls.js';

const SECRET = 'audit-webhook-secret';
const SLACK_TOKEN = 'xoxb-7777-audit-secret';
const ROLE_ARN = 'arn:aws:iam::123456789012:role/audit-secret-role';
const ROTATED_ARN = 'arn:aws:iam::123456789012:role/audit-rotated-role';
/** What no audit answer may contain: credentials, and the names of the fields that hold them. */
const SECRETS = [SLACK_TOKEN, ROLE_ARN, ROTATED_ARN, 'us-east-1', 'botToken', 'role_arn'];
/** Installations of the App on the simulator's org: each test's workspace connects its own. */
const INSTALLATIONS = 40;

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

type Rules = Record<'both' | 'slackOnly' | 'githubOnly', string>;

/**
 * The audit trail over HTTP against the three services, real NATS and Postgres, a GitHub
 * simulator and a Slack stand-in. The stack is shared; every test makes its own workspaces
 * (`createTeam`, as the admin command line does) and what is in them, through the same API a
 * client uses, so each one runs alone (`-t`) as well as with the others, in any order.
 */
describe('the audit trail over HTTP', () => {
  let sim: GithubSimulator;
  let github: GithubWithUninstalls;
  let slack: Awaited<ReturnType<typeof startFakeSlack>>;
  let stack: Stack;
  let installations = 0;

  // The replay test starts a new gateway: every call goes to the one running now.
  const call: ReturnType<typeof client> = (...args) => client(stack.gateway.url)(...args);
  const rest: ReturnType<typeof restClient> = (...args) => restClient(stack.gateway.url)(...args);
  const get = async (path: string, token: string, headers: Record<string, string> = {}) => {
    const response = await fetch(`${stack.gateway.url}${path}`, {
      headers: { authorization: `Token ${token}`, ...headers },
    });
    return { status: response.status, headers: response.headers, text: await response.text() };
  };
  const json = async (path: string, token: string) => {
    const r = await get(path, token);
    return { status: r.status, body: JSON.parse(r.text), text: r.text };
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

  // Givens: each makes something in a workspace through the API and checks it was made.

  /** A workspace with an owner, an admin, a member and a viewer, each with a key. */
  const team = async (name: string) => {
    const made = await createTeam(stack, name);
    // Made as the admin command line makes it, outside the gateway, whose publisher finds such
    // changes by polling (workspace-events.publisher.ts). Telling it at once, as the gateway's
    // own changes do, spares each test's first read the wait for the next poll.
    stack.gateway.app.get(WorkspaceStore).log.committed();
    return made;
  };

  /** An installation of the App no other workspace holds. */
  const freshInstallation = () => {
    if (installations >= INSTALLATIONS) throw new Error('raise INSTALLATIONS');
    return sim.installationId + installations++;
  };

  const connectGithub = async (t: Team, installationId: number, status = 201) => {
    const connected = await call('POST', '/api/integrations/github/connect', {
      token: t.admin,
      body: { installationId: String(installationId), accountLogin: sim.org.login },
    });
    expect(connected.status).toBe(status);
    return connected.body.integration.id as string;
  };

  const disconnectGithub = async (t: Team) => {
    const disconnected = await call('POST', '/api/integrations/github/disconnect', {
      token: t.admin,
      body: { reason: 'rotating the app' },
    });
    expect(disconnected.status).toBe(200);
  };

  const connectSlack = async (t: Team) => {
    const connected = await call('POST', '/api/integrations/slack/connect', {
      token: t.owner,
      body: { botToken: SLACK_TOKEN },
    });
    expect(connected.status).toBe(201);
    return connected.body.integration.id as string;
  };

  /** A rule by the team's member for each of `names`, on the providers it names. */
  const createRules = async <K extends keyof Rules>(t: Team, names: readonly K[]) => {
    const providers: Record<keyof Rules, ('github' | 'slack')[]> = {
      both: ['github', 'slack'],
      slackOnly: ['slack'],
      githubOnly: ['github'],
    };
    const ids = {} as Record<K, string>;
    for (const name of names) {
      const created = await call('POST', '/api/rules', {
        token: t.member,
        body: ruleOn(name, providers[name]),
      });
      expect(created.status).toBe(201);
      ids[name] = created.body.rule.id;
    }
    return ids;
  };

  /** GitHub and Slack connected, and the member's three rules: GitHub and Slack, each alone. */
  const givenConnectedWithRules = async (t: Team) => {
    const installationId = freshInstallation();
    const githubId = await connectGithub(t, installationId);
    await connectSlack(t);
    const rules = await createRules(t, ['both', 'slackOnly', 'githubOnly'] as const);
    return { installationId, githubId, rules };
  };

  /** As above, then the admin disconnects GitHub (two rules disabled) and connects it again. */
  const givenGithubReconnected = async (t: Team) => {
    const given = await givenConnectedWithRules(t);
    await disconnectGithub(t);
    await connectGithub(t, given.installationId, 200);
    return given;
  };

  /** The owner adds a member, issues them a second key, revokes it, then removes the member. */
  const givenMemberComeAndGone = async (t: Team, email: string) => {
    const added = await call('POST', '/api/workspace/members', {
      token: t.owner,
      body: { email, role: 'member' },
    });
    expect(added.status).toBe(201);
    const memberId: string = added.body.member.id;
    const issued = await call('POST', '/api/workspace/tokens', {
      token: t.owner,
      body: { name: 'ci', memberId },
    });
    expect(issued.status).toBe(201);
    const revoked = await call('DELETE', `/api/workspace/tokens/${issued.body.id}`, {
      token: t.owner,
    });
    expect(revoked.status).toBe(200);
    const removed = await call('DELETE', `/api/workspace/members/${memberId}`, {
      token: t.owner,
    });
    expect(removed.status).toBe(204);
    return { memberId, added: added.body, issued: issued.body };
  };

  /** An ECR registry created by the admin over /rest, then its credentials rotated. */
  const givenRegistryRotated = async (t: Team) => {
    const orgPath = `/rest/orgs/${t.workspaceId}/integrations`;
    const created = await rest('POST', orgPath, {
      token: t.admin,
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
    const id: string = created.body.data.id;
    const rotated = await rest('PATCH', `${orgPath}/${id}`, {
      token: t.admin,
      body: {
        data: { type: 'integration', id, attributes: { credentials: { role_arn: ROTATED_ARN } } },
      },
    });
    expect(rotated.status).toBe(200);
    return id;
  };

  /** The registry's broker switched on and off by the admin, `times` times. */
  const toggleBroker = async (t: Team, registryId: string, times: number) => {
    for (let i = 0; i < times; i++) {
      const r = await rest(
        'PATCH',
        `/rest/orgs/${t.workspaceId}/integrations/${registryId}/settings`,
        {
          token: t.admin,
          body: {
            data: {
              type: 'integration_settings',
              id: registryId,
              attributes: { broker_enabled: i % 2 === 0 },
            },
          },
        },
      );
      expect(r.status).toBe(200);
    }
  };

  /** The admin starts a scan of the GitHub org; answers its id and its entry once logged. */
  const startScan = async (t: Team) => {
    const started = await call('POST', '/api/integrations/github/scan-org', { token: t.admin });
    expect(started.status).toBe(202);
    const entry = await waitFor(
      async () => (await json('/api/audit-log?resource_type=scan', t.owner)).body.entries[0],
      { what: 'the scan in the audit log' },
    );
    return { scanId: started.body.scanId as string, entry };
  };

  /**
   * GitHub really removes the App from the installation (the scanner asks it before believing a
   * delivery), and says so in a signed delivery. Answers the delivery and the disconnect entry
   * of the integration's history, once that entry lists the rules it disabled.
   */
  const uninstallDelivered = async (t: Team, installationId: number, githubId: string) => {
    await untilInstallationMapped(stack.gateway.url, SECRET, installationId);
    github.uninstall(installationId);
    const delivery = await signedDelivery(
      SECRET,
      'installation',
      payloadFor(installationId, 'installation', 'deleted'),
    );
    expect((await post(stack.gateway.url, delivery)).status).toBe(202);
    const entry = await waitFor(
      async () => {
        const history = await json(
          `/api/integrations/${githubId}/history?order=desc&limit=1`,
          t.viewer,
        );
        const last = history.body.entries[0];
        // The disconnect and the rule it disabled may land in two projection batches.
        return last?.action === 'disconnected' && last.effects.length > 0 ? last : undefined;
      },
      { what: 'the uninstall in the history' },
    );
    return { delivery, entry };
  };

  beforeAll(async () => {
    sim = await startGithubSimulator({ repos: 3, seed: 5, extraInstallations: INSTALLATIONS });
    github = await startGithubWithUninstalls(sim.url);
    slack = await startFakeSlack(SLACK_TOKEN);
    stack = await startStack({
      GITHUB_API_URL: github.url,
      GITHUB_APP_ID: String(sim.appId),
      GITHUB_APP_PRIVATE_KEY_PATH: sim.privateKeyPath,
      GITHUB_WEBHOOK_SECRET: SECRET,
      SLACK_API_URL: slack.url,
    });
  });

  afterAll(async () => {
    // The replay test starts a second gateway, which the stack does not know of.
    await stack?.gateway.close();
    await stack?.close();
    await slack?.close();
    await github?.close();
    await sim?.close();
  });

  test('the disconnect story: who disconnected, which rules it disabled, and that reconnecting re-enabled nothing', async () => {
    // Given GitHub and Slack connected and rules that need them
    const acme = await team('acme');
    const { installationId, githubId, rules } = await givenConnectedWithRules(acme);

    // When the admin disconnects GitHub, then reconnects it
    await disconnectGithub(acme);
    await connectGithub(acme, installationId, 200);

    // Then the audit log tells it, newest first
    const log = await json('/api/audit-log?resource_type=integration', acme.owner);
    expect(log.status).toBe(200);
    const ofGithub = log.body.entries.filter((e: any) => e.resource.id === githubId);
    expect(ofGithub.map((e: any) => e.action)).toEqual(['connected', 'disconnected', 'connected']);
    const disconnect = ofGithub[1];
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
    for (const id of [rules.both, rules.githubOnly]) {
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
    // Given GitHub connected, disconnected and connected again
    const acme = await team('acme');
    const installationId = freshInstallation();
    const githubId = await connectGithub(acme, installationId);
    await disconnectGithub(acme);
    await connectGithub(acme, installationId, 200);

    // When its history is read oldest first
    const oldest = await json(`/api/integrations/${githubId}/history`, acme.viewer);
    // Then it tells the three changes in order, the first with what was connected
    expect(oldest.body.entries.map((e: any) => e.action)).toEqual([
      'connected',
      'disconnected',
      'connected',
    ]);
    expect(oldest.body.entries[0].changes).toMatchObject({
      provider: 'github',
      config: { accountLogin: sim.org.login },
    });
    // and newest first is the same entries reversed
    const newest = await json(`/api/integrations/${githubId}/history?order=desc`, acme.member);
    expect(newest.body.entries.map((e: any) => e.id)).toEqual(
      [...oldest.body.entries].reverse().map((e: any) => e.id),
    );
    // and two pages of two are the same entries, the last page without a cursor
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
    // Given GitHub connected
    const acme = await team('acme');
    const githubId = await connectGithub(acme, freshInstallation());
    // Then viewers and members read its history, but not the workspace log
    for (const token of [acme.viewer, acme.member]) {
      expect((await get(`/api/integrations/${githubId}/history`, token)).status).toBe(200);
      const forbidden = await json('/api/audit-log', token);
      expect(forbidden.status).toBe(403);
      expect(forbidden.body.error.code).toBe('forbidden');
    }
    // and admins do; without a key, no one does
    expect((await get('/api/audit-log', acme.admin)).status).toBe(200);
    expect((await fetch(`${stack.gateway.url}/api/audit-log`)).status).toBe(401);
  });

  test("another workspace's entries are never visible; its ids answer 404", async () => {
    // Given GitHub connected and a rule in acme, and another workspace, globex
    const acme = await team('acme');
    const githubId = await connectGithub(acme, freshInstallation());
    const { both } = await createRules(acme, ['both'] as const);
    const globex = await team('globex');

    // Then globex's owner finds none of acme's resources, nor an unknown one
    for (const path of [
      `/api/integrations/${githubId}/history`,
      `/api/rules/${both}/history`,
      `/api/integrations/00000000-0000-4000-8000-000000000000/history`,
    ]) {
      const r = await json(path, globex.owner);
      expect(r.status).toBe(404);
    }
    // and globex's log, which has entries of its own, names nothing of acme's
    const theirs = await json('/api/audit-log?limit=100', globex.owner);
    expect(theirs.status).toBe(200);
    expect(theirs.body.entries.length).toBeGreaterThan(0);
    expect(theirs.text).not.toContain(acme.workspaceId);
    expect(theirs.text).not.toContain(githubId);
    expect(theirs.text).not.toContain('acme.io');
    const filtered = await json(`/api/audit-log?resource_id=${githubId}`, globex.owner);
    expect(filtered.body.entries).toEqual([]);
    // and acme's log, which has the integration, names nothing of globex's
    const mine = await all('/api/audit-log', acme.owner);
    expect(JSON.stringify(mine)).toContain(githubId);
    expect(JSON.stringify(mine)).not.toContain(globex.workspaceId);
  });

  test('members and keys are in the log: added, issued, revoked, removed, by whom', async () => {
    // Given a workspace made by the admin command line
    const acme = await team('acme');
    // When the owner adds a member, issues them a second key, revokes it, then removes them
    const { memberId, added, issued } = await givenMemberComeAndGone(acme, 'temp@acme.io');

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
        resource: { type: 'api_key', id: added.tokenId },
      },
    ]);
    expect(about[5].cause).toMatchObject({ id: removal.id, action: 'member_removed' });
    expect(about.every((e: any) => e.actor.email === 'owner@acme.io')).toBe(true);
    // The keys' secrets were in the answers above, and are nowhere in the log.
    const everything = (await get('/api/audit-log?limit=100', acme.owner)).text;
    expect(everything).toContain(memberId);
    expect(everything).not.toContain(added.token);
    expect(everything).not.toContain(issued.token);
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
    // Given the member's three rules, two of them disabled by a GitHub disconnect
    const acme = await team('acme');
    const { githubId } = await givenGithubReconnected(acme);

    // Then each filter keeps what it names and only that
    const byAction = await all('/api/audit-log?action=rule_disabled', acme.owner);
    expect(byAction).toHaveLength(2);
    expect(new Set(byAction.map((e: any) => e.action))).toEqual(new Set(['rule_disabled']));
    const byType = await all('/api/audit-log?resource_type=rule', acme.owner);
    expect(new Set(byType.map((e: any) => e.resource.type))).toEqual(new Set(['rule']));
    expect(byType.length).toBeGreaterThanOrEqual(5);
    const byId = await all(`/api/audit-log?resource_id=${githubId}`, acme.owner);
    expect(byId.map((e: any) => [e.resource.id, e.action])).toEqual([
      [githubId, 'connected'],
      [githubId, 'disconnected'],
      [githubId, 'connected'],
    ]);
    const byActor = await all(`/api/audit-log?actor=${acme.memberIds.member}`, acme.owner);
    expect(byActor.map((e: any) => e.action)).toEqual([
      'rule_created',
      'rule_created',
      'rule_created',
    ]);
    // and a time range splits the log in two at any instant, `from` inclusive, `to` exclusive
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

    // and a bad filter is a 400 that names it
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
    // Given a log of several pages: the team made, Slack connected, three rules
    const acme = await team('acme');
    await connectSlack(acme);
    await createRules(acme, ['both', 'slackOnly', 'githubOnly'] as const);
    const before = await all('/api/audit-log', acme.owner);
    expect(before.length).toBeGreaterThan(6);

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
    // Given Slack connected with its bot token, GitHub connected, and a registry created and
    // its credentials rotated over /rest
    const acme = await team('acme');
    const slackId = await connectSlack(acme);
    const githubId = await connectGithub(acme, freshInstallation());
    const registryId = await givenRegistryRotated(acme);

    // When the registry's history is read
    const history = await json(`/api/integrations/${registryId}/history`, acme.viewer);
    // Then it says the credentials were rotated, and by whom
    expect(history.body.entries.map((e: any) => e.action)).toEqual([
      'created',
      'credentials_rotated',
    ]);
    expect(history.body.entries[1].actor.id).toBe(acme.memberIds.admin);

    // When the log is exported as NDJSON
    const exported = await get('/api/audit-log', acme.owner, { accept: 'application/x-ndjson' });
    // Then it is every entry of the log, one a line
    expect(exported.headers.get('content-type')).toMatch(/^application\/x-ndjson/);
    const lines = exported.text
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    const listed = await all('/api/audit-log', acme.owner);
    expect(lines.map((e) => e.id)).toEqual(listed.map((e) => e.id));
    expect(lines.map((e) => e.resource.id)).toEqual(
      expect.arrayContaining([slackId, githubId, registryId]),
    );

    // And no answer of the audit routes says what the credentials are, though each tells of
    // the integration that holds them
    const answers: [string, string][] = [
      [history.text, registryId],
      [exported.text, slackId],
      [JSON.stringify(listed), registryId],
    ];
    const reads: [string, string, string][] = [
      ['/api/audit-log?resource_type=integration&order=asc', acme.admin, slackId],
      [`/api/integrations/${slackId}/history`, acme.viewer, slackId],
      [`/api/integrations/${githubId}/history`, acme.member, githubId],
      [`/api/integrations/${registryId}/history?order=desc`, acme.owner, registryId],
    ];
    for (const [path, token, id] of reads) {
      const r = await get(path, token);
      expect(r.status).toBe(200);
      answers.push([r.text, id]);
    }
    for (const [body, id] of answers) {
      expect(body).toContain(id);
      for (const secret of SECRETS) expect(body).not.toContain(secret);
    }
  });

  test('/rest: the same history as a JSON:API collection, paged both ways, without credentials', async () => {
    // Given a registry created, its credentials rotated, then its settings switched back and
    // forth: twelve entries in all
    const acme = await team('acme');
    const path = `/rest/orgs/${acme.workspaceId}/integrations`;
    const registryId = await givenRegistryRotated(acme);
    await toggleBroker(acme, registryId, 10);

    // When a client pages through its events, ten at a time
    const first = await rest('GET', `${path}/${registryId}/events?limit=10`, {
      token: acme.viewer,
    });
    // Then the first page is the oldest ten, each with its actor and changes
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
    // and the next page the last two, which leads back to the first
    const second = await rest('GET', first.body.links.next, { token: acme.viewer });
    expect(second.body.data.map((e: any) => e.attributes.action)).toEqual([
      'settings_updated',
      'settings_updated',
    ]);
    expect(second.body.links.next).toBeUndefined();
    const back = await rest('GET', second.body.links.prev, { token: acme.viewer });
    expect(back.body.data.map((e: any) => e.id)).toEqual(first.body.data.map((e: any) => e.id));
    // and neither names the credentials
    for (const body of [first.body, second.body]) {
      for (const secret of [ROLE_ARN, ROTATED_ARN, 'us-east-1']) {
        expect(JSON.stringify(body)).not.toContain(secret);
      }
    }
    // and it matches /api's history of the same integration
    const api = await all(`/api/integrations/${registryId}/history`, acme.viewer);
    expect([...first.body.data, ...second.body.data].map((e: any) => e.id)).toEqual(
      api.map((e) => e.id),
    );
  });

  test('/rest: a disconnect lists its effects; version, limit, cursors and orgs are checked; both routes are documented', async () => {
    // Given GitHub disconnected (two rules disabled) and connected again, and another workspace
    const acme = await team('acme');
    const { githubId } = await givenGithubReconnected(acme);
    const globex = await team('globex');
    const path = `/rest/orgs/${acme.workspaceId}/integrations`;

    // When a member reads GitHub's events over /rest
    const events = await rest('GET', `${path}/${githubId}/events`, { token: acme.member });
    // Then they tell the story, the disconnect with the two rules it disabled
    expect(events.body.data.map((e: any) => e.attributes.action)).toEqual([
      'connected',
      'disconnected',
      'connected',
    ]);
    expect(events.body.data[1].attributes.effects).toHaveLength(2);
    // And the rules of /rest hold: version, limit, cursors, query parameters
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
    // and orgs: another org's key, or another org's path, finds nothing
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
    // Given GitHub connected
    const acme = await team('acme');
    await connectGithub(acme, freshInstallation());
    // When the admin starts a scan of the org
    const { scanId, entry } = await startScan(acme);
    // Then the log says so, and who
    expect(entry).toMatchObject({
      action: 'scan_started',
      resource: { type: 'scan', id: scanId },
      actor: { type: 'member', id: acme.memberIds.admin, email: 'admin@acme.io' },
    });
  });

  test('an uninstall delivery disconnects GitHub with a system actor', async () => {
    // Given rules that need GitHub, disabled by a disconnect; after the reconnect the member
    // enables one of them again by hand, the other stays disabled
    const acme = await team('acme');
    const { installationId, githubId, rules } = await givenGithubReconnected(acme);
    const enabled = await call('POST', `/api/rules/${rules.githubOnly}/enable`, {
      token: acme.member,
    });
    expect(enabled.status).toBe(200);

    // When GitHub uninstalls the App and says so in a delivery
    const { delivery, entry } = await uninstallDelivered(acme, installationId, githubId);

    // Then the history has the disconnect, by the webhook, caused by that delivery
    expect(entry.actor).toEqual({
      type: 'system',
      name: 'github-webhook',
      description: 'GitHub uninstall delivery',
    });
    expect(entry.cause).toEqual({ type: 'github_delivery', deliveryId: delivery.deliveryId });
    expect(entry.changes).toMatchObject({ reason: 'github_app_uninstalled' });
    // and it disabled only the rule that was enabled
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
    // and the rule's history says so, with the same actor, after the member's enable
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
    // Given every kind of entry in acme: a disconnect that disabled rules, a member come and
    // gone, a registry, a scan and an uninstall delivery; and globex, with its own entries
    const acme = await team('acme');
    const { installationId, githubId, rules } = await givenGithubReconnected(acme);
    await givenMemberComeAndGone(acme, 'temp@acme.io');
    await toggleBroker(acme, await givenRegistryRotated(acme), 2);
    await startScan(acme);
    const enabled = await call('POST', `/api/rules/${rules.githubOnly}/enable`, {
      token: acme.member,
    });
    expect(enabled.status).toBe(200);
    await uninstallDelivered(acme, installationId, githubId);
    const globex = await team('globex');

    const pages = async () => ({
      acme: await all('/api/audit-log?order=asc', acme.owner, 5),
      globex: await all('/api/audit-log', globex.admin, 3),
      rule: await all(`/api/rules/${rules.both}/history`, acme.viewer, 1),
    });
    const live = await pages();
    expect(new Set(live.acme.map((e: any) => e.actor.type))).toEqual(new Set(['member', 'system']));

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
        const rows = await db.query(
          `SELECT count(*)::int AS n FROM gateway.audit_log WHERE workspace_id = ANY($1)`,
          [[acme.workspaceId, globex.workspaceId]],
        );
        return rows[0].n >= expected ? true : undefined;
      },
      { what: 'the replay' },
    );
    // Then the pages are the same
    expect(await pages()).toEqual(live);
  });
});
