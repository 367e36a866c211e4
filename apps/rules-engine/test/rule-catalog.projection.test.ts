import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import {
  AckPolicy,
  DeliverPolicy,
  jetstream,
  jetstreamManager,
  type JetStreamClient,
  type JetStreamManager,
} from '@nats-io/jetstream';
import { connect, nanos, type NatsConnection } from '@nats-io/transport-node';
import {
  createEnvelope,
  eventSubject,
  RuleEventTypes,
  RuleSubjects,
  Streams,
  type RuleDefinition,
} from '#libs/contracts/src/index.js';
import { startService, type RunningService } from '#libs/service-kit/src/index.js';
import { NatsServerFixture, PostgresFixture, waitFor } from '#libs/testing/src/index.js';
import { RULE_CATALOG, type RuleCatalog } from '../src/rules/rule-catalog.js';
import { RULE_CATALOG_PROJECTION } from '../src/rules/rule-catalog.projection.js';
import { rulesEngine } from '../src/service.js';

const definition: RuleDefinition = {
  name: 'Pushes to Slack',
  kind: 'rule',
  trigger: { event: 'push' },
  conditions: [],
  actions: [{ provider: 'slack', method: 'send_message', params: { channel: '#eng', text: 'x' } }],
};

/**
 * The engine's rule catalog on the projection runner, against real NATS and PostgreSQL: rule
 * events on INTEGRATION_EVENTS become `rules.rules` rows with the runner's checkpoint, a replica
 * that applies a change drops the workspace's rules and tells the others, and a fresh checkpoint
 * (the first start after the durable consumer it replaces) replays the stream over the rows it
 * left without changing one.
 */
describe('rules engine: the rule catalog projection', () => {
  let nats: NatsServerFixture;
  let db: PostgresFixture;
  let nc: NatsConnection;
  let js: JetStreamClient;
  let jsm: JetStreamManager;
  const engines: RunningService[] = [];
  const workspaceId = randomUUID();
  /** Each rule's last stream version, and the log position of the last event published. */
  const versions = new Map<string, number>();
  let position = 0;
  let lastSeq = 0;

  const start = async () => {
    const engine = await startService(rulesEngine as any, {
      NATS_URL: nats.url,
      DATABASE_URL: db.url,
      PORT: '0',
      LOG_LEVEL: 'silent',
      SCHEDULES_ENABLED: 'false',
      METRICS_ENABLED: 'false',
    });
    engines.push(engine);
    return engine;
  };
  const stop = async (engine: RunningService) => {
    await engine.close();
    engines.splice(engines.indexOf(engine), 1);
  };
  const catalogOf = (engine: RunningService) => engine.app.get<RuleCatalog>(RULE_CATALOG);

  /** Publishes a rule event as the integration service's publisher does. */
  const publish = async (type: string, ruleId: string, data: object = {}) => {
    const streamVersion = (versions.get(ruleId) ?? 0) + 1;
    versions.set(ruleId, streamVersion);
    const event = {
      ...createEnvelope({ type, workspaceId, data: { ruleId, ...data } }),
      position: String(++position),
      streamId: `rule-${ruleId}`,
      streamVersion,
    };
    const ack = await js.publish(eventSubject(RuleSubjects.events, type), JSON.stringify(event), {
      msgID: event.id,
    });
    lastSeq = ack.seq;
    return event;
  };
  const create = (ruleId: string, enabled = true) =>
    publish(RuleEventTypes.created, ruleId, {
      name: definition.name,
      kind: 'rule',
      enforcement: null,
      definition,
      providers: ['slack'],
      enabled,
      disabledReason: enabled ? null : 'slack is not connected',
      createdAt: new Date().toISOString(),
    });
  const disable = (ruleId: string, reason = 'manual') =>
    publish(RuleEventTypes.disabled, ruleId, {
      reason,
      message: 'disabled',
      provider: reason === 'manual' ? null : 'slack',
      integrationId: null,
      causeEventId: null,
      disabledAt: new Date().toISOString(),
    });
  const enable = (ruleId: string, enabledAt = new Date().toISOString()) =>
    publish(RuleEventTypes.enabled, ruleId, { enabledAt });
  const remove = (ruleId: string) =>
    publish(RuleEventTypes.deleted, ruleId, { deletedAt: new Date().toISOString() });

  const checkpoint = async () =>
    (
      await db.query<{ position: string; stream_seq: string }>(
        'SELECT position, stream_seq FROM rules.projection_checkpoints WHERE projection = $1',
        [RULE_CATALOG_PROJECTION],
      )
    )[0];
  /** Until the catalog has applied everything published so far. */
  const caughtUp = () =>
    waitFor(async () => (Number((await checkpoint())?.stream_seq) >= lastSeq ? true : undefined), {
      what: 'the rule catalog to apply every rule event',
    });
  const rows = () => db.query('SELECT * FROM rules.rules ORDER BY id');
  const enabledIds = async (engine: RunningService) =>
    (await catalogOf(engine).enabledFor(workspaceId)).map((r) => r.id);

  beforeAll(async () => {
    nats = await NatsServerFixture.start();
    db = await PostgresFixture.create('rule_catalog');
    await start();
    nc = await connect({ servers: nats.url });
    js = jetstream(nc);
    jsm = await jetstreamManager(nc);
  }, 60_000);

  afterAll(async () => {
    for (const engine of [...engines].reverse()) await engine.close().catch(() => undefined);
    await nc?.close();
    await nats?.dispose();
    await db?.dispose();
  });

  test('given rule events, when the catalog applies them, then it runs only enabled rules that are not deleted', async () => {
    const [engine] = engines;
    const running = randomUUID();
    const createdDisabled = randomUUID();
    const disconnected = randomUUID();
    const reenabled = randomUUID();
    const deleted = randomUUID();
    await create(running);
    await create(createdDisabled, false);
    await create(disconnected);
    await disable(disconnected, 'integration_disconnected');
    await create(reenabled);
    await disable(reenabled);
    const enabledAt = '2030-01-01T00:00:00.000Z';
    await enable(reenabled, enabledAt);
    await create(deleted);
    await remove(deleted);
    await caughtUp();

    expect((await enabledIds(engine!)).sort()).toEqual([running, reenabled].sort());
    const rule = await catalogOf(engine!).byId(reenabled);
    expect(rule).toMatchObject({ enabled: true, activeSince: enabledAt });
    expect(await catalogOf(engine!).byId(createdDisabled)).toMatchObject({ enabled: false });
    expect(await catalogOf(engine!).byId(deleted)).toBeUndefined();
    expect(await checkpoint()).toEqual({ position: String(position), stream_seq: String(lastSeq) });
  });

  test('given two replicas keeping a rule, when one applies its disable, then both drop it at once', async () => {
    const second = await start();
    const ruleId = randomUUID();
    await create(ruleId);
    await caughtUp();
    for (const engine of engines) expect(await enabledIds(engine)).toContain(ruleId);

    await disable(ruleId);

    // Well before what they keep runs out on its own (30 s).
    for (const [i, engine] of engines.entries()) {
      await waitFor(async () => ((await enabledIds(engine)).includes(ruleId) ? undefined : true), {
        what: `replica ${i + 1} to drop the disabled rule`,
        timeoutMs: 5_000,
      });
    }
    await stop(second);
  }, 30_000);

  test('given the durable consumer it replaces and no checkpoint, when the engine starts, then it replays every rule event and no row changes', async () => {
    await caughtUp();
    const before = await rows();
    expect(before.length).toBeGreaterThan(5);
    await stop(engines[0]!);
    // As a system deployed before the projection runner stands: the engine's durable consumer
    // of rule events on the stream (as `DurableConsumer` made it), and no catalog checkpoint.
    const stream = Streams.integrationEvents.name;
    await db.query('DELETE FROM rules.projection_checkpoints WHERE projection = $1', [
      RULE_CATALOG_PROJECTION,
    ]);
    await jsm.consumers.delete(stream, RULE_CATALOG_PROJECTION);
    await jsm.consumers.add(stream, {
      durable_name: RULE_CATALOG_PROJECTION,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      ack_wait: nanos(30_000),
      max_deliver: 20,
      filter_subject: `${RuleSubjects.events}.>`,
    });

    await start();
    await caughtUp();

    expect(await rows()).toEqual(before);
    expect(await checkpoint()).toEqual({ position: String(position), stream_seq: String(lastSeq) });
    // The runner's consumer took the old one's name: none is left behind on the stream.
    const consumers = [];
    for await (const info of jsm.consumers.list(stream)) consumers.push(info.name);
    expect(consumers).toEqual([RULE_CATALOG_PROJECTION]);
    const info = await jsm.consumers.info(stream, RULE_CATALOG_PROJECTION);
    expect(info.config.deliver_policy).toBe(DeliverPolicy.StartSequence);
  }, 60_000);
});
