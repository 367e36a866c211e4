import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { startStack, type Stack } from '../support/stack.js';
import { startFakeSlack } from '../support/fake-slack.js';
import { client, createTeam, type Team } from '../support/gateway-api.js';

const GOOD_SLACK = 'xoxb-1111-good';

const ruleOn = (
  name: string,
  conditionProvider: 'github' | 'slack',
  actionProvider: 'github' | 'slack',
) => ({
  name,
  trigger: { event: 'pull_request.opened' },
  conditions: [
    conditionProvider === 'github'
      ? { provider: 'github', check: 'pr.age', operator: 'gt', value: 48 }
      : { provider: 'slack', check: 'channel.member_count', operator: 'gt', value: 10 },
  ],
  actions: [
    actionProvider === 'github'
      ? { provider: 'github', method: 'add_label', params: { label: 'stale' } }
      : { provider: 'slack', method: 'send_message', params: { channel: '#eng', text: 'look' } },
  ],
});

const YAML_RULE = `
name: Label old pull requests
trigger:
  event: pull_request.opened
conditions:
  - provider: github
    check: pr.age
    operator: gt
    value: 72
actions:
  - provider: github
    method: add_label
    params:
      label: old
`;

/**
 * The TinyOps Integrations API end to end: the three services, real NATS and Postgres, over HTTP. Every read follows
 * the write it checks at once (no polling): the command's answer waited for the read model.
 */
describe('integrations and rules end to end', () => {
  let stack: Stack;
  let slack: Awaited<ReturnType<typeof startFakeSlack>>;
  let call: ReturnType<typeof client>;
  let acme: Team;
  let globex: Team;
  let githubId: string;
  const rules: Record<string, string> = {};

  beforeAll(async () => {
    slack = await startFakeSlack(GOOD_SLACK);
    stack = await startStack({ SLACK_API_URL: slack.url });
    call = client(stack.gateway.url);
    acme = await createTeam(stack, 'acme');
    globex = await createTeam(stack, 'globex');
  });

  afterAll(async () => {
    await stack?.close();
    await slack?.close();
  });

  const rule = async (id: string, token = acme.viewer) =>
    (await call('GET', `/api/rules/${id}`, { token })).body.rule;

  test('connect GitHub (admin): 201, listed at once; a second connect is 409', async () => {
    const connected = await call('POST', '/api/integrations/github/connect', {
      token: acme.admin,
      body: { installationId: '12345678', accountLogin: 'acme-org' },
    });
    expect(connected.status).toBe(201);
    expect(connected.body.integration).toMatchObject({
      provider: 'github',
      status: 'connected',
      config: { installationId: '12345678', accountLogin: 'acme-org' },
    });
    githubId = connected.body.integration.id;
    const listed = await call('GET', '/api/integrations', { token: acme.viewer });
    expect(listed.body.integrations.map((i: any) => [i.provider, i.status])).toEqual([
      ['github', 'connected'],
    ]);
    const again = await call('POST', '/api/integrations/github/connect', {
      token: acme.owner,
      body: { installationId: '12345678', accountLogin: 'acme-org' },
    });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('already_connected');
  });

  test('connect Slack: credentials are never shown back', async () => {
    const connected = await call('POST', '/api/integrations/slack/connect', {
      token: acme.owner,
      body: { botToken: GOOD_SLACK },
    });
    expect(connected.status).toBe(201);
    expect(connected.body.integration.hasCredentials).toBe(true);
    const listed = await call('GET', '/api/integrations', { token: acme.member });
    expect(listed.body.integrations.map((i: any) => i.provider)).toEqual(['github', 'slack']);
    expect(JSON.stringify(listed.body)).not.toContain(GOOD_SLACK);
    expect(JSON.stringify(connected.body)).not.toContain(GOOD_SLACK);
  });

  test('rules in JSON and YAML; a viewer cannot write; bad rules get one entry per field', async () => {
    for (const [key, body] of [
      ['githubAndSlack', ruleOn('PR age to Slack', 'github', 'slack')],
      ['slackOnly', ruleOn('Big channel to Slack', 'slack', 'slack')],
    ] as const) {
      const created = await call('POST', '/api/rules', { token: acme.member, body });
      expect(created.status).toBe(201);
      expect(created.body.rule).toMatchObject({ enabled: true, disabled: null });
      rules[key] = created.body.rule.id;
    }
    const yaml = await call('POST', '/api/rules', {
      token: acme.admin,
      raw: YAML_RULE,
      headers: { 'content-type': 'application/yaml' },
    });
    expect(yaml.status).toBe(201);
    expect(yaml.body.rule).toMatchObject({
      name: 'Label old pull requests',
      providers: ['github'],
    });
    rules.githubOnly = yaml.body.rule.id;

    const viewer = await call('POST', '/api/rules', {
      token: acme.viewer,
      body: ruleOn('x', 'slack', 'slack'),
    });
    expect(viewer.status).toBe(403);
    const bad = await call('POST', '/api/rules', {
      token: acme.admin,
      body: {
        ...ruleOn('bad', 'github', 'slack'),
        conditions: [{ provider: 'github', check: 'nope', operator: 'gt', value: 1 }],
        enabled: 'yes',
      },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.map((d: any) => d.field).sort()).toEqual([
      'conditions.0.check',
      'enabled',
    ]);
    const brokenYaml = await call('POST', '/api/rules', {
      token: acme.admin,
      raw: 'name: [unclosed',
      headers: { 'content-type': 'application/yaml' },
    });
    expect(brokenYaml.status).toBe(400);
    expect(brokenYaml.body.error.code).toBe('malformed_yaml');
    const listed = await call('GET', '/api/rules', { token: acme.viewer });
    expect(listed.body.rules.map((r: any) => [r.name, r.enabled])).toEqual([
      ['PR age to Slack', true],
      ['Big channel to Slack', true],
      ['Label old pull requests', true],
    ]);
  });

  test('disconnect GitHub: its rules are disabled with the cause, Slack rules untouched', async () => {
    const forbidden = await call('POST', '/api/integrations/github/disconnect', {
      token: acme.member,
    });
    expect(forbidden.status).toBe(403);
    const disconnected = await call('POST', '/api/integrations/github/disconnect', {
      token: acme.admin,
    });
    expect(disconnected.status).toBe(200);
    expect(disconnected.body.integration.status).toBe('disconnected');
    expect([...disconnected.body.disabledRuleIds].sort()).toEqual(
      [rules.githubAndSlack, rules.githubOnly].sort(),
    );

    for (const id of [rules.githubAndSlack!, rules.githubOnly!]) {
      const r = await rule(id);
      expect(r.enabled).toBe(false);
      expect(r.disabled).toMatchObject({
        reason: 'integration_disconnected',
        byIntegrationId: githubId,
        byEventId: expect.any(String),
      });
      expect(r.disabled.message).toMatch(/github/);
    }
    expect((await rule(rules.slackOnly!)).enabled).toBe(true);
    const listed = await call('GET', '/api/integrations', { token: acme.viewer });
    expect(listed.body.integrations.map((i: any) => i.provider)).toEqual(['slack']);
    const all = await call('GET', '/api/integrations?status=all', { token: acme.viewer });
    expect(all.body.integrations.find((i: any) => i.provider === 'github').status).toBe(
      'disconnected',
    );

    const again = await call('POST', '/api/integrations/github/disconnect', { token: acme.admin });
    expect(again.status).toBe(404);
    expect(again.body.error.code).toBe('not_connected');
  });

  test('reconnect GitHub: 200, rules stay disabled; enabling one by hand works', async () => {
    const reconnected = await call('POST', '/api/integrations/github/connect', {
      token: acme.admin,
      body: { installationId: '12345678', accountLogin: 'acme-org' },
    });
    expect(reconnected.status).toBe(200);
    expect(reconnected.body.integration.id).toBe(githubId);
    expect((await rule(rules.githubAndSlack!)).enabled).toBe(false);
    expect((await rule(rules.githubOnly!)).enabled).toBe(false);

    const enabled = await call('POST', `/api/rules/${rules.githubOnly}/enable`, {
      token: acme.member,
    });
    expect(enabled.status).toBe(200);
    expect(enabled.body.rule).toMatchObject({ enabled: true, disabled: null });
    expect((await rule(rules.githubOnly!)).enabled).toBe(true);
    expect((await rule(rules.githubAndSlack!)).enabled).toBe(false);
  });

  test('enabling a rule while a provider it needs is not connected: 409 naming it', async () => {
    const created = await call('POST', '/api/rules', {
      token: acme.admin,
      body: {
        name: 'Redeploy on red CI',
        trigger: { event: 'deployment.created' },
        conditions: [{ provider: 'github', check: 'ci_status', operator: 'eq', value: 'failure' }],
        actions: [{ provider: 'vercel', method: 'redeploy', params: { project: 'web' } }],
      },
    });
    expect(created.status).toBe(201);
    expect(created.body.rule.enabled).toBe(false);
    expect(created.body.rule.disabled.message).toMatch(/vercel/);
    const enable = await call('POST', `/api/rules/${created.body.rule.id}/enable`, {
      token: acme.admin,
    });
    expect(enable.status).toBe(409);
    expect(enable.body.error.message).toMatch(/vercel/);
  });

  test('disable by hand, then delete', async () => {
    const disabled = await call('POST', `/api/rules/${rules.slackOnly}/disable`, {
      token: acme.admin,
      body: { reason: 'too noisy' },
    });
    expect(disabled.status).toBe(200);
    expect(disabled.body.rule.enabled).toBe(false);
    expect(disabled.body.rule.disabled.reason).toBe('manual');
    expect(
      (await call('DELETE', `/api/rules/${rules.slackOnly}`, { token: acme.viewer })).status,
    ).toBe(403);
    expect(
      (await call('DELETE', `/api/rules/${rules.slackOnly}`, { token: acme.admin })).status,
    ).toBe(204);
    expect((await call('GET', `/api/rules/${rules.slackOnly}`, { token: acme.admin })).status).toBe(
      404,
    );
    expect(
      (await call('DELETE', `/api/rules/${rules.slackOnly}`, { token: acme.admin })).status,
    ).toBe(404);
  });

  test('Idempotency-Key: the same POST twice creates one rule and answers the same', async () => {
    const body = ruleOn('Once only', 'github', 'github');
    const headers = { 'idempotency-key': 'create-once-1' };
    const first = await call('POST', '/api/rules', { token: acme.admin, body, headers });
    const second = await call('POST', '/api/rules', { token: acme.admin, body, headers });
    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    expect(second.body.rule.id).toBe(first.body.rule.id);
    const named = (await call('GET', '/api/rules', { token: acme.admin })).body.rules.filter(
      (r: any) => r.name === 'Once only',
    );
    expect(named).toHaveLength(1);

    const connectHeaders = { 'idempotency-key': 'globex-connect-1' };
    const connect = () =>
      call('POST', '/api/integrations/github/connect', {
        token: globex.owner,
        body: { installationId: '999', accountLogin: 'globex' },
        headers: connectHeaders,
      });
    const a = await connect();
    const b = await connect();
    expect(a.status).toBe(201);
    expect(b.status).toBe(201);
    expect(b.body.integration.id).toBe(a.body.integration.id);
  });

  test('health calls the provider with the stored credentials', async () => {
    const healthy = await call('GET', '/api/integrations/slack/health', { token: acme.viewer });
    expect(healthy.status).toBe(200);
    expect(healthy.body).toMatchObject({ provider: 'slack', healthy: true, status: 'healthy' });

    await call('POST', '/api/integrations/slack/connect', {
      token: globex.owner,
      body: { botToken: 'xoxb-2222-revoked' },
    });
    const refused = await call('GET', '/api/integrations/slack/health', { token: globex.viewer });
    expect(refused.status).toBe(200);
    expect(refused.body).toMatchObject({ healthy: false, status: 'unhealthy' });
    expect(JSON.stringify(refused.body)).not.toContain('xoxb-2222-revoked');
    const absent = await call('GET', '/api/integrations/vercel/health', { token: acme.viewer });
    expect(absent.status).toBe(404);
  });

  test('repos of a connected provider without repositories: the seed shape, per_page capped', async () => {
    const r = await call('GET', '/api/integrations/slack/repos?page=2&per_page=500&search=api', {
      token: acme.viewer,
    });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ repos: [], total: 0, page: 2, per_page: 100 });
  });

  test('another workspace reaches nothing of acme by id', async () => {
    const byId = await call('GET', `/api/integrations/${githubId}`, { token: globex.owner });
    expect(byId.status).toBe(404);
    const disconnect = await call('POST', '/api/integrations/github/disconnect', {
      token: globex.owner,
      body: { integrationId: githubId },
    });
    expect(disconnect.status).toBe(404);
    const mine = await call('GET', `/api/integrations/${githubId}`, { token: acme.viewer });
    expect(mine.body.integration.status).toBe('connected');
    for (const [method, path] of [
      ['GET', `/api/rules/${rules.githubOnly}`],
      ['POST', `/api/rules/${rules.githubOnly}/disable`],
      ['POST', `/api/rules/${rules.githubOnly}/enable`],
      ['DELETE', `/api/rules/${rules.githubOnly}`],
    ] as const) {
      const r = await call(method, path, { token: globex.owner });
      expect(r.status).toBe(404);
    }
    expect((await rule(rules.githubOnly!)).enabled).toBe(true);
    const theirs = await call('GET', '/api/rules', { token: globex.owner });
    expect(theirs.body.rules).toEqual([]);
  });
});
