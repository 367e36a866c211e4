import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { startService, type RunningService } from '#libs/service-kit/src/index.js';
import { waitFor } from '#libs/testing/src/index.js';
import { apiGateway } from '../../apps/api-gateway/src/service.js';
import { githubConnected } from '../support/github-connected.js';
import { startStack, type Stack } from '../support/stack.js';
import { EventLog } from './support/event-log.js';
import { client, createTeam, type Team } from '../support/gateway-api.js';

describe('projections of INTEGRATION_EVENTS', () => {
  let stack: Stack;
  let gateway: RunningService;
  let call: ReturnType<typeof client>;
  let acme: Team;
  let globex: Team;
  let log: EventLog;

  beforeAll(async () => {
    stack = await startStack();
    gateway = stack.gateway;
    call = client(gateway.url);
    acme = await createTeam(stack, 'acme');
    globex = await createTeam(stack, 'globex');
    log = new EventLog(stack.integration.infra.bus);
  });

  afterAll(async () => {
    if (gateway !== stack?.gateway) await gateway?.close();
    await stack?.close();
  });

  const integrations = async (token: string, status = 'all') =>
    (await call('GET', `/api/integrations?status=${status}`, { token })).body.integrations as any[];

  test('events become rows of the workspace they belong to, and only of it', async () => {
    const id = randomUUID();
    await log.publish(
      log.next('IntegrationConnected', acme.workspaceId, `integration-${id}`, githubConnected(id)),
    );
    const listed = await waitFor(async () => {
      const list = await integrations(acme.viewer);
      return list.length === 1 ? list : undefined;
    });
    expect(listed[0]).toMatchObject({
      id,
      provider: 'github',
      status: 'connected',
      config: { installationId: '12345678', accountLogin: 'acme-org' },
    });
    expect(await integrations(globex.owner)).toEqual([]);
    expect((await call('GET', `/api/integrations/${id}`, { token: globex.owner })).status).toBe(
      404,
    );
    expect((await call('GET', `/api/integrations/${id}`, { token: acme.member })).status).toBe(200);
  });

  test('a redelivered or republished event is applied once', async () => {
    const id = randomUUID();
    const stream = `integration-${id}`;
    const connected = log.next(
      'IntegrationConnected',
      acme.workspaceId,
      stream,
      githubConnected(id, 'first'),
    );
    await log.publish(connected);
    const disconnected = log.next('IntegrationDisconnected', acme.workspaceId, stream, {
      integrationId: id,
      provider: 'github',
      reason: null,
      disconnectedAt: new Date().toISOString(),
    });
    await log.publish(disconnected);
    // The same connect again under a new message id (past the dedup window): old position, skipped.
    await log.publish(connected, randomUUID());
    const marker = randomUUID();
    await log.publish(
      log.next(
        'IntegrationConnected',
        globex.workspaceId,
        `integration-${marker}`,
        githubConnected(marker),
      ),
    );
    await waitFor(async () => ((await integrations(globex.owner)).length === 1 ? true : undefined));
    const row = (await integrations(acme.owner)).find((i) => i.id === id);
    expect(row.status).toBe('disconnected');
    const [checkpoint] = await stack.db.query(
      `SELECT position FROM gateway.projection_checkpoints WHERE projection = 'gateway-integration-events'`,
    );
    expect(checkpoint.position).toBe(log['position'].toString());
  });

  test('rules show enabled, and when disabled why and by which event; deletes purge', async () => {
    const ruleId = randomUUID();
    const stream = `rule-${ruleId}`;
    const definition = {
      name: 'stale PRs',
      kind: 'rule',
      trigger: { event: 'pull_request.opened' },
      match: 'all',
      conditions: [{ provider: 'github', check: 'pr.age', operator: 'gt', value: 48 }],
      actions: [
        { provider: 'slack', method: 'send_message', params: { channel: '#eng', text: 'hi' } },
      ],
    };
    await log.publish(
      log.next('RuleCreated', acme.workspaceId, stream, {
        ruleId,
        name: 'stale PRs',
        kind: 'rule',
        enforcement: null,
        definition,
        providers: ['github', 'slack'],
        enabled: true,
        disabledReason: null,
        createdAt: new Date().toISOString(),
      }),
    );
    const cause = randomUUID();
    const integrationId = randomUUID();
    await log.publish(
      log.next('RuleDisabled', acme.workspaceId, stream, {
        ruleId,
        reason: 'integration_disconnected',
        message: 'integration github was disconnected',
        provider: 'github',
        integrationId,
        causeEventId: cause,
        disabledAt: new Date().toISOString(),
      }),
    );
    const rule = await waitFor(async () => {
      const r = await call('GET', `/api/rules/${ruleId}`, { token: acme.viewer });
      return r.status === 200 && r.body.rule.enabled === false ? r.body.rule : undefined;
    });
    expect(rule.disabled).toEqual({
      reason: 'integration_disconnected',
      message: 'integration github was disconnected',
      byEventId: cause,
      byIntegrationId: integrationId,
    });
    expect((await call('GET', `/api/rules/${ruleId}`, { token: globex.owner })).status).toBe(404);
    const disabled = await call('GET', '/api/rules?enabled=false&provider=slack', {
      token: acme.viewer,
    });
    expect(disabled.body.rules.map((r: any) => r.id)).toEqual([ruleId]);
    expect(
      (await call('GET', '/api/rules?enabled=true', { token: acme.viewer })).body.rules,
    ).toEqual([]);

    await log.publish(
      log.next('RuleDeleted', acme.workspaceId, stream, {
        ruleId,
        deletedAt: new Date().toISOString(),
      }),
    );
    await waitFor(async () =>
      (await call('GET', `/api/rules/${ruleId}`, { token: acme.viewer })).status === 404
        ? true
        : undefined,
    );
  });

  test('a burst of events on the same rows lands in its final state', async () => {
    const ids = Array.from({ length: 10 }, () => randomUUID());
    const burst = [];
    for (let round = 0; round < 3; round++) {
      for (const id of ids) {
        burst.push(
          log.next(
            'IntegrationConnected',
            acme.workspaceId,
            `integration-${id}`,
            githubConnected(id, `round-${round}`),
          ),
        );
        burst.push(
          log.next('IntegrationDisconnected', acme.workspaceId, `integration-${id}`, {
            integrationId: id,
            provider: 'github',
            reason: null,
            disconnectedAt: new Date().toISOString(),
          }),
        );
      }
    }
    const last = ids[ids.length - 1]!;
    burst.push(
      log.next(
        'IntegrationConnected',
        acme.workspaceId,
        `integration-${last}`,
        githubConnected(last, 'final'),
      ),
    );
    await Promise.all(burst.map((e) => log.publish(e)));
    const rows = await waitFor(async () => {
      const list = (await integrations(acme.owner)).filter((i) => ids.includes(i.id));
      return list.length === 10 && list.find((i) => i.id === last)?.status === 'connected'
        ? list
        : undefined;
    });
    for (const row of rows) {
      expect(row.config.accountLogin).toBe(row.id === last ? 'final' : 'round-2');
      expect(row.status).toBe(row.id === last ? 'connected' : 'disconnected');
    }
  });

  test('a gateway that was down catches up from its checkpoint', async () => {
    await gateway.close();
    const id = randomUUID();
    await log.publish(
      log.next(
        'IntegrationConnected',
        globex.workspaceId,
        `integration-${id}`,
        githubConnected(id, 'while-down'),
      ),
    );
    gateway = await startService(apiGateway as any, stack.env);
    call = client(gateway.url);
    const list = await waitFor(async () => {
      const l = await integrations(globex.owner);
      return l.some((i) => i.id === id) ? l : undefined;
    });
    expect(list).toHaveLength(2);
    const [checkpoint] = await stack.db.query(
      `SELECT position FROM gateway.projection_checkpoints WHERE projection = 'gateway-integration-events'`,
    );
    expect(checkpoint.position).toBe(log['position'].toString());
  });
});
