import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import {
  IntegrationSubjects as I,
  RuleSubjects as R,
  Streams,
  type DisconnectIntegrationResult,
  type Envelope,
  type HistoryEntry,
  type IntegrationEvent,
  type IntegrationView,
  type RuleDefinition,
  type RuleEvent,
  type RuleView,
} from '#libs/contracts/src/index.js';
import { evolveIntegration } from '../src/integrations/evolve.js';
import { initialIntegration, toIntegrationView } from '../src/integrations/integration.state.js';
import { evolveRule } from '../src/rules/evolve.js';
import { initialRule, toRuleView } from '../src/rules/rule.state.js';
import { foldStream, type Recorded, type StoredEvent } from '#libs/event-store/src/index.js';
import { errorOf, startHarness, value, type Harness } from './support/harness.js';

const foldIntegration = (id: string, events: readonly StoredEvent[]) =>
  foldStream({ evolve: evolveIntegration }, initialIntegration(id), events);
const foldRule = (id: string, events: readonly StoredEvent[]) =>
  foldStream({ evolve: evolveRule }, initialRule(id), events);

let h: Harness & { workspaceId: string };
const githubPayload = { installationId: '12345678', accountLogin: 'acme-org' };
/** An installation of its own per workspace: one installation belongs to one workspace. */
const githubOf = (workspaceId: string) => ({
  installationId: String(parseInt(workspaceId.replace(/-/g, '').slice(0, 12), 16)),
  accountLogin: 'acme-org',
});
const slackPayload = { botToken: 'xoxb-123-abc' };

const rule = (
  name: string,
  providers: ('github' | 'slack')[],
  extra: Partial<RuleDefinition> = {},
) => ({
  name,
  kind: 'rule',
  trigger: { event: 'pull_request.opened' },
  conditions: providers.includes('github')
    ? [
        {
          provider: 'github',
          check: 'pr.changed_lines',
          operator: 'gt',
          value: 500,
          repo: 'acme/api',
        },
      ]
    : [{ provider: 'slack', check: 'channel.member_count', operator: 'lt', value: 3 }],
  actions: providers.includes('slack')
    ? [{ provider: 'slack', method: 'send_message', params: { channel: '#eng', text: 'look' } }]
    : [{ provider: 'github', method: 'add_label', params: { label: 'large' } }],
  ...extra,
});

const create = async (definition: unknown, workspaceId?: string) =>
  value(await h.send<RuleView>(R.create, { definition }, workspaceId ? { workspaceId } : {}));
const getRule = async (id: string) => value(await h.send<RuleView>(R.get, { ruleId: id }));

beforeAll(async () => {
  h = await startHarness();
  value(await h.send(I.connect, { provider: 'github', payload: githubPayload }));
  value(await h.send(I.connect, { provider: 'slack', payload: slackPayload }));
});
afterAll(async () => {
  await h?.close();
});

describe('rules and policies', () => {
  test('an invalid rule names each bad field; unknown check, operator and action are clear errors', async () => {
    const bad = errorOf(
      await h.send(R.create, {
        definition: {
          ...rule('bad', ['github']),
          conditions: [{ provider: 'github', check: 'pr.smell', operator: 'gt', value: 1 }],
          actions: [{ provider: 'github', method: 'teleport' }],
        },
      }),
    );
    expect(bad.kind).toBe('validation');
    expect(bad.details).toEqual([
      {
        field: 'definition.conditions.0.check',
        message: expect.stringMatching(/unknown check pr.smell/),
      },
      {
        field: 'definition.actions.0.method',
        message: expect.stringMatching(/unknown action teleport/),
      },
    ]);
    const op = errorOf(
      await h.send(R.create, {
        definition: {
          ...rule('op', ['github']),
          conditions: [{ provider: 'github', check: 'pr.age', operator: 'approx', value: 1 }],
        },
      }),
    );
    expect((op.details as { message: string }[])[0]!.message).toMatch(/unknown operator approx/);
  });

  test('disconnect disables every dependent rule and policy with its own event; reconnect re-enables nothing', async () => {
    const ghRule = await create(rule('big PRs', ['github']));
    const both = await create(rule('big PRs to slack', ['github', 'slack']));
    const slackOnly = await create(rule('small channel', ['slack']));
    const policy = await create({
      ...rule('block giant PRs', ['github']),
      kind: 'policy',
      enforcement: 'block',
    });
    expect([ghRule, both, slackOnly, policy].every((r) => r.enabled)).toBe(true);
    expect(policy).toMatchObject({ kind: 'policy', enforcement: 'block' });
    expect(both.providers).toEqual(['github', 'slack']);

    const result = value(
      await h.send<DisconnectIntegrationResult>(I.disconnect, { provider: 'github' }),
    );
    expect(result.disabledRuleIds).toEqual([ghRule.id, both.id, policy.id]);

    const integrationHistory = value(
      await h.send<HistoryEntry[]>(I.history, { integrationId: result.integration.id }),
    );
    const disconnectEvent = integrationHistory.at(-1)!;
    expect(disconnectEvent.type).toBe('IntegrationDisconnected');

    for (const id of result.disabledRuleIds) {
      const view = await getRule(id);
      expect(view).toMatchObject({
        enabled: false,
        disabledByEventId: disconnectEvent.eventId,
        disabledByIntegrationId: result.integration.id,
        disabledReason: expect.stringMatching(/github integration .* disconnected/),
      });
      const history = value(await h.send<HistoryEntry[]>(R.history, { ruleId: id }));
      const disabled = history.at(-1)!;
      expect(disabled).toMatchObject({
        type: 'RuleDisabled',
        causationId: disconnectEvent.eventId,
        correlationId: disconnectEvent.correlationId,
        data: {
          reason: 'integration_disconnected',
          provider: 'github',
          integrationId: result.integration.id,
        },
      });
    }
    expect((await getRule(slackOnly.id)).enabled).toBe(true);

    // Enabling by hand while GitHub is away: a conflict that names it.
    const refused = errorOf(await h.send(R.enable, { ruleId: both.id }));
    expect(refused).toMatchObject({
      kind: 'conflict',
      code: 'provider_not_connected',
      details: { providers: ['github'] },
    });
    expect(refused.message).toMatch(/github/);

    value(await h.send(I.connect, { provider: 'github', payload: githubPayload }));
    for (const id of result.disabledRuleIds) expect((await getRule(id)).enabled).toBe(false);

    const enabled = value(await h.send<RuleView>(R.enable, { ruleId: both.id }));
    expect(enabled).toMatchObject({ enabled: true, disabledReason: null, disabledByEventId: null });
    expect(
      value(await h.send<RuleView[]>(R.list, { enabled: false }))
        .map((r) => r.id)
        .sort(),
    ).toEqual([ghRule.id, policy.id].sort());
  });

  test('a missing definition is a validation error on the definition field', async () => {
    expect(errorOf(await h.send(R.create, {})).details).toEqual([
      { field: 'definition', message: expect.any(String) },
    ]);
  });

  test('a rule created while a provider it needs is disconnected starts disabled and says why', async () => {
    const workspaceId = randomUUID();
    const created = await create(rule('needs github', ['github']), workspaceId);
    expect(created).toMatchObject({
      enabled: false,
      disabledReason: 'provider github is not connected',
    });
  });

  test('disable and delete by hand; the history stays readable', async () => {
    const r = await create(rule('temporary', ['slack']));
    const off = value(await h.send<RuleView>(R.disable, { ruleId: r.id, reason: 'too noisy' }));
    expect(off).toMatchObject({ enabled: false, disabledReason: 'too noisy' });
    value(await h.send(R.delete, { ruleId: r.id }));
    expect(errorOf(await h.send(R.get, { ruleId: r.id })).kind).toBe('not_found');
    expect(errorOf(await h.send(R.enable, { ruleId: r.id })).kind).toBe('not_found');
    const history = value(await h.send<HistoryEntry[]>(R.history, { ruleId: r.id }));
    expect(history.map((e) => e.type)).toEqual(['RuleCreated', 'RuleDisabled', 'RuleDeleted']);
    expect(
      errorOf(await h.send(R.history, { ruleId: r.id }, { workspaceId: randomUUID() })).kind,
    ).toBe('not_found');
  });

  test('deleting an integration disables its rules and reports them as orphaned', async () => {
    const workspaceId = randomUUID();
    const slack = value(
      await h.send<IntegrationView>(
        I.connect,
        { provider: 'slack', payload: slackPayload },
        { workspaceId },
      ),
    );
    const r1 = await create(rule('a', ['slack']), workspaceId);
    const r2 = await create(rule('b', ['slack']), workspaceId);
    const deleted = value(
      await h.send<{ orphanedTargets: number; disabledRuleIds: string[] }>(
        I.delete,
        { integrationId: slack.id },
        { workspaceId },
      ),
    );
    expect(deleted).toMatchObject({ orphanedTargets: 2, disabledRuleIds: [r1.id, r2.id] });
    const view = value(await h.send<RuleView>(R.get, { ruleId: r1.id }, { workspaceId }));
    expect(view.disabledReason).toMatch(/deleted/);
  });

  test('enable racing a disconnect never leaves a rule enabled without its provider', async () => {
    const workspaceId = randomUUID();
    value(
      await h.send(
        I.connect,
        { provider: 'github', payload: githubOf(workspaceId) },
        { workspaceId },
      ),
    );
    const r = await create(rule('racy', ['github']), workspaceId);
    for (let round = 0; round < 8; round++) {
      value(await h.send(R.disable, { ruleId: r.id }, { workspaceId }));
      await Promise.all([
        h.send(R.enable, { ruleId: r.id }, { workspaceId }),
        h.send(I.disconnect, { provider: 'github' }, { workspaceId }),
      ]);
      const view = value(await h.send<RuleView>(R.get, { ruleId: r.id }, { workspaceId }));
      expect(view.enabled).toBe(false);
      value(
        await h.send(
          I.connect,
          { provider: 'github', payload: githubOf(workspaceId) },
          { workspaceId },
        ),
      );
    }
  });
});

describe('rebuild by replay', () => {
  test('folding every stream of the log gives exactly the live state tables', async () => {
    const events = await h.writeSide.store.readAll('0', 100_000);
    const byStream = new Map<string, typeof events>();
    for (const e of events) byStream.set(e.streamId, [...(byStream.get(e.streamId) ?? []), e]);

    const liveIntegrations = await h.db.query<{ id: string; view: IntegrationView }>(
      'SELECT id, view FROM integration.integrations',
    );
    const liveRules = await h.db.query<{ id: string; view: RuleView }>(
      'SELECT id, view FROM integration.rules',
    );
    const rebuiltIntegrations = new Map<string, IntegrationView>();
    const rebuiltRules = new Map<string, RuleView>();
    for (const [streamId, stream] of byStream) {
      if (streamId.startsWith('integration-')) {
        const state = foldIntegration(streamId.slice('integration-'.length), stream);
        if (!state.deleted) rebuiltIntegrations.set(state.id, toIntegrationView(state));
      } else if (streamId.startsWith('rule-')) {
        const state = foldRule(streamId.slice('rule-'.length), stream);
        if (!state.deleted) rebuiltRules.set(state.id, toRuleView(state));
      }
    }
    expect(rebuiltIntegrations.size).toBeGreaterThanOrEqual(3);
    expect(rebuiltRules.size).toBeGreaterThan(5);
    expect(new Map(liveIntegrations.map((r) => [r.id, r.view]))).toEqual(rebuiltIntegrations);
    expect(new Map(liveRules.map((r) => [r.id, r.view]))).toEqual(rebuiltRules);
  });

  test('the published events alone rebuild the same state (what the gateway projects from)', async () => {
    const last = (await h.db.query(`SELECT max(position)::text AS p FROM integration.events`))[0]!
      .p;
    await h.writeSide.publisher.waitFor(last);
    const nc = await connect({ servers: h.nats.url });
    const integrations = new Map<string, ReturnType<typeof initialIntegration>>();
    const rules = new Map<string, ReturnType<typeof initialRule>>();
    try {
      const jsm = await jetstreamManager(nc);
      const info = await jsm.streams.info(Streams.integrationEvents.name);
      for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
        const e = (await jsm.streams.getMessage(Streams.integrationEvents.name, {
          seq,
        }))!.json<Envelope>();
        const record = {
          id: e.id,
          type: e.type,
          data: e.data,
          streamVersion: e.streamVersion!,
          metadata: { workspaceId: e.workspaceId },
        };
        const id = e.streamId!.replace(/^(integration|rule)-/, '');
        if (e.streamId!.startsWith('integration-')) {
          integrations.set(
            id,
            evolveIntegration(
              integrations.get(id) ?? initialIntegration(id),
              record as Recorded<IntegrationEvent>,
            ),
          );
        } else {
          rules.set(
            id,
            evolveRule(rules.get(id) ?? initialRule(id), record as Recorded<RuleEvent>),
          );
        }
      }
    } finally {
      await nc.close();
    }
    const live = await h.db.query<{ id: string; view: IntegrationView }>(
      'SELECT id, view FROM integration.integrations',
    );
    expect(new Map(live.map((r) => [r.id, r.view]))).toEqual(
      new Map(
        [...integrations.values()]
          .filter((s) => !s.deleted)
          .map((s) => [s.id, toIntegrationView(s)]),
      ),
    );
    const liveRules = await h.db.query<{ id: string; view: RuleView }>(
      'SELECT id, view FROM integration.rules',
    );
    expect(new Map(liveRules.map((r) => [r.id, r.view]))).toEqual(
      new Map([...rules.values()].filter((s) => !s.deleted).map((s) => [s.id, toRuleView(s)])),
    );
  });
});
