import { randomUUID } from 'node:crypto';
import type { EventEmitter } from 'node:events';
import { afterAll, afterEach, beforeAll, describe, expect, test } from '@jest/globals';
import { connect, headers, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { DataSource } from 'typeorm';
import {
  createEnvelope,
  REPLAY_FOR_HEADER,
  type StreamDefinition,
} from '#libs/contracts/src/index.js';
import { createDataSource } from '#libs/database/src/index.js';
import { createLogger } from '#libs/logging/src/index.js';
import { Bus, ensureStreams } from '#libs/messaging/src/index.js';
import {
  projectionLagSeconds,
  watchProjections,
} from '#libs/observability/src/metrics/projections.js';
import { Streams } from '#libs/contracts/src/index.js';
import { NatsServerFixture, PostgresFixture, waitFor } from '#libs/testing/src/index.js';
import { deadLetters } from '../../../scripts/admin/dead-letters.js';
import { Projections, type Projection } from './index.js';

const TEST_STREAM: StreamDefinition = {
  name: 'TEST_EVENTS',
  subjects: ['test.evt.>'],
  retention: 'limits',
  duplicateWindowMs: 60_000,
  limits: { maxAgeMs: 0, maxBytes: -1 },
};

/**
 * A projection that counts the events it applied per key; it cannot apply an event whose
 * `data.poison` is set while `refuse` is true (as a projection meets an event it does not
 * understand yet).
 */
function counting(name: string, refuse: { on: boolean }): Projection {
  return {
    name,
    stream: TEST_STREAM.name,
    canHandle: (event) => event.type === 'Counted',
    async apply(tx, events) {
      for (const event of events) {
        const data = event.data as { key: string; poison?: boolean };
        if (data.poison && refuse.on) throw new Error(`${name} cannot apply ${event.id}`);
        await tx.query(
          `INSERT INTO proj.counts (projection, key, n) VALUES ($1, $2, 1)
           ON CONFLICT (projection, key) DO UPDATE SET n = proj.counts.n + 1`,
          [name, data.key],
        );
      }
    },
  };
}

describe('the projection runner: one checkpoint rule, one dead-letter path', () => {
  let nats: NatsServerFixture;
  let db: PostgresFixture;
  let dataSource: DataSource;
  let nc: NatsConnection;
  let bus: Bus;
  let projections: Projections | undefined;
  const env = () => ({ NATS_URL: nats.url });

  const publish = async (data: Record<string, unknown>, position?: number) => {
    const event = {
      ...createEnvelope({ type: 'Counted', data, workspaceId: null }),
      ...(position === undefined ? {} : { position: String(position) }),
    };
    await bus.js.publish('test.evt.counted', JSON.stringify(event), { msgID: event.id });
    return event;
  };
  const count = async (projection: string, key: string) => {
    const rows = await db.query<{ n: number }>(
      `SELECT n FROM proj.counts WHERE projection = $1 AND key = $2`,
      [projection, key],
    );
    return rows[0]?.n ?? 0;
  };
  const start = (...list: Projection[]) => startWith({}, ...list);
  const startWith = (options: { idleCheckpointMs?: number }, ...list: Projection[]) =>
    startOn({ dataSource }, options, ...list);
  const startOn = (
    sources: { dataSource: DataSource; leases?: DataSource },
    options: { idleCheckpointMs?: number },
    ...list: Projection[]
  ) => {
    projections = new Projections({
      ...sources,
      bus,
      logger: createLogger('projection-test', 'silent'),
      schema: 'proj',
    });
    for (const p of list) projections.run(p, { retryMs: 100, ...options });
    projections.start();
    return projections;
  };

  beforeAll(async () => {
    nats = await NatsServerFixture.start();
    db = await PostgresFixture.create('projections');
    await db.query(`CREATE SCHEMA proj`);
    await db.query(`CREATE TABLE proj.projection_checkpoints (
      projection text PRIMARY KEY, position bigint NOT NULL DEFAULT 0,
      stream_seq bigint NOT NULL DEFAULT 0, updated_at timestamptz NOT NULL DEFAULT now())`);
    await db.query(`CREATE TABLE proj.counts (
      projection text, key text, n int NOT NULL, PRIMARY KEY (projection, key))`);
    dataSource = createDataSource({
      url: db.url,
      schema: 'proj',
      migrations: [],
      applicationName: 'projection-test',
    });
    await dataSource.initialize();
    nc = await connect({ servers: nats.url });
    const jsm = await jetstreamManager(nc);
    await ensureStreams(jsm, [TEST_STREAM, Streams.deadLetters]);
    bus = new Bus(nc, jsm, [TEST_STREAM]);
  });

  afterEach(async () => {
    await projections?.stop();
    projections = undefined;
  });

  afterAll(async () => {
    await nc.close();
    await dataSource.destroy();
    await db.dispose();
    await nats.dispose();
  });

  test('an event one projection cannot apply is parked for it alone; ops replay it once fixed', async () => {
    // Given two projections of one stream, one of which cannot apply a poison event
    const refuse = { on: true };
    const strict = counting('strict', refuse);
    const lenient = counting('lenient', { on: false });
    const running = start(strict, lenient);

    // When the poison event arrives between two ordinary ones
    await publish({ key: 'a' });
    const poison = await publish({ key: 'p', poison: true });
    await publish({ key: 'b' });

    // Then the strict projection moves on past it, and the lenient one applies all three
    await waitFor(async () => ((await count('strict', 'b')) === 1 ? true : undefined), {
      what: 'the strict projection to move past the poison event',
    });
    await waitFor(async () => ((await count('lenient', 'b')) === 1 ? true : undefined));
    expect(await count('strict', 'p')).toBe(0);
    expect(await count('lenient', 'p')).toBe(1);

    // And its status says so, and the dead letters name it for that projection only
    const statuses = await running.statuses();
    expect(statuses.find((s) => s.name === 'strict')).toMatchObject({ parked: 1, lag: 0 });
    expect(statuses.find((s) => s.name === 'lenient')).toMatchObject({ parked: 0, lag: 0 });
    const { deadLetters: listed } = (await deadLetters.run(
      ['list', '--consumer', 'strict'],
      env(),
    )) as { deadLetters: Array<Record<string, unknown>> };
    expect(listed).toEqual([
      expect.objectContaining({
        consumer: 'strict',
        stream: 'TEST_EVENTS',
        messageId: poison.id,
        type: 'Counted',
        attempts: 3,
        lastError: expect.stringContaining(`strict cannot apply ${poison.id}`),
      }),
    ]);

    // When ops fix the cause and replay it
    refuse.on = false;
    await deadLetters.run(['replay', poison.id], env());

    // Then the strict projection applies it once, and the lenient one does not apply it again
    await waitFor(async () => ((await count('strict', 'p')) === 1 ? true : undefined), {
      what: 'the replayed event to be applied',
    });
    await publish({ key: 'c' });
    await waitFor(async () => ((await count('lenient', 'c')) === 1 ? true : undefined));
    expect(await count('lenient', 'p')).toBe(1);
    expect((await running.statuses()).find((s) => s.name === 'strict')?.parked).toBe(0);
  });

  test('a parked event keeps the trace it came in; its dead letter and its replay carry it on', async () => {
    // Given a projection that cannot apply a poison event published within a trace
    const refuse = { on: true };
    start(counting('traced', refuse));
    const traceparent = `00-${randomUUID().replace(/-/g, '')}-${'ab'.repeat(8)}-01`;
    const poison = {
      ...createEnvelope({ type: 'Counted', data: { key: 'tp', poison: true }, workspaceId: null }),
    };
    const h = headers();
    h.set('traceparent', traceparent);
    await bus.js.publish('test.evt.counted', JSON.stringify(poison), {
      msgID: poison.id,
      headers: h,
    });

    // When it is parked, then replayed
    const listed = await waitFor(
      async () => {
        const { deadLetters: all } = (await deadLetters.run(
          ['list', '--consumer', 'traced'],
          env(),
        )) as { deadLetters: Array<{ messageId: string; trace: unknown }> };
        return all.find((d) => d.messageId === poison.id);
      },
      { what: 'the poison event to be parked' },
    );
    const jsm = await jetstreamManager(nc);
    const deadLetter = await jsm.streams.getMessage(Streams.deadLetters.name, {
      last_by_subj: 'dead-letters.traced',
    });
    refuse.on = false;
    const { replayed } = (await deadLetters.run(['replay', poison.id], env())) as {
      replayed: { replayedSeq: number };
    };
    const replay = await jsm.streams.getMessage(TEST_STREAM.name, { seq: replayed.replayedSeq });

    // Then the dead letter records the trace and continues it, and so does the replay
    expect(listed.trace).toEqual({ traceparent });
    expect(deadLetter?.header?.get('traceparent')).toBe(traceparent);
    expect(replay?.header?.get('traceparent')).toBe(traceparent);
    expect(replay?.header?.get(REPLAY_FOR_HEADER)).toBe('traced');
    await waitFor(async () => ((await count('traced', 'tp')) === 1 ? true : undefined), {
      what: 'the replayed event to be applied',
    });
  });

  test('while a projection cannot apply an event its lag in seconds grows; once applied, it is 0', async () => {
    // Given a caught-up projection whose next apply waits until released (as one stuck on a lock)
    let release = () => {};
    const released = new Promise<void>((resolve) => (release = resolve));
    const stuck: Projection = {
      ...counting('stuck', { on: false }),
      async apply(tx, events, checkpoint) {
        if (events.some((e) => (e.data as { key: string }).key === 'stuck')) await released;
        await counting('stuck', { on: false }).apply(tx, events, checkpoint);
      },
    };
    const running = start(stuck);
    const unwatch = watchProjections(() => running.statuses());
    const lagSeconds = async () =>
      (await projectionLagSeconds.get()).values.find((v) => v.labels.projection === 'stuck')?.value;
    try {
      await publish({ key: 'before' });
      await waitFor(async () => ((await count('stuck', 'before')) === 1 ? true : undefined));

      // When one event arrives and waits, scraped twice a second apart
      await publish({ key: 'stuck' });
      const first = await waitFor(async () => {
        const seconds = await lagSeconds();
        return seconds !== undefined && seconds > 0 ? seconds : undefined;
      });
      await new Promise((r) => setTimeout(r, 1_000));
      const second = (await lagSeconds())!;

      // Then the lag in seconds has grown by that second: it counts from the event's arrival
      expect(second - first).toBeGreaterThanOrEqual(0.9);
      expect(second).toBeLessThan(30);

      // When the event is applied, then the lag in seconds is 0 again
      release();
      await waitFor(async () => ((await count('stuck', 'stuck')) === 1 ? true : undefined));
      await waitFor(async () => ((await lagSeconds()) === 0 ? true : undefined), {
        what: 'the lag in seconds to fall back to 0',
      });
    } finally {
      release();
      unwatch();
    }
  });

  test('an apply cut off by the database restarting is retried, not parked', async () => {
    // Given a projection whose first tries fail as a restarting Postgres fails them (the server
    // answers again by the time the runner asks)
    let cutOff = 4;
    const restarting: Projection = {
      ...counting('restarting', { on: false }),
      async apply(tx, events, checkpoint) {
        if (cutOff-- > 0) {
          throw Object.assign(new Error('terminating connection due to administrator command'), {
            code: '57P01',
          });
        }
        await counting('restarting', { on: false }).apply(tx, events, checkpoint);
      },
    };
    const running = start(restarting);

    // When an event arrives
    await publish({ key: 'through-restart' });

    // Then it is applied once the database takes it, and nothing is parked
    await waitFor(
      async () => ((await count('restarting', 'through-restart')) === 1 ? true : undefined),
      {
        timeoutMs: 20_000,
      },
    );
    expect((await running.statuses()).find((s) => s.name === 'restarting')?.parked).toBe(0);
  });

  test('a parked event can be discarded for good', async () => {
    // Given a projection that parked an event
    start(counting('discarding', { on: true }));
    const poison = await publish({ key: 'x', poison: true });
    const parked = await waitFor(async () => {
      const { deadLetters: listed } = (await deadLetters.run(
        ['list', '--consumer', 'discarding'],
        env(),
      )) as { deadLetters: Array<{ seq: number; messageId: string }> };
      return listed.find((d) => d.messageId === poison.id);
    });

    // When ops discard it by its sequence
    const { discarded } = (await deadLetters.run(['discard', String(parked.seq)], env())) as {
      discarded: { messageId: string };
    };

    // Then it is gone and nothing applied it
    expect(discarded.messageId).toBe(poison.id);
    const after = (await deadLetters.run(['list', '--consumer', 'discarding'], env())) as {
      deadLetters: Array<{ messageId: string }>;
    };
    expect(after.deadLetters.find((d) => d.messageId === poison.id)).toBeUndefined();
    await expect(deadLetters.run(['discard', String(parked.seq)], env())).rejects.toThrow(
      /no dead letter/,
    );
    expect(await count('discarding', 'x')).toBe(0);
  });

  test('a republished event (same log position, new stream sequence) is applied once', async () => {
    // Given a projection that applied the event at log position 10
    start(counting('once', { on: false }));
    const event = await publish({ key: 'k' }, 10);
    await waitFor(async () => ((await count('once', 'k')) === 1 ? true : undefined));

    // When the same event is published again outside the dedup window (a new message id),
    // then a newer one follows
    await bus.js.publish('test.evt.counted', JSON.stringify(event), { msgID: randomUUID() });
    await publish({ key: 'k2' }, 11);

    // Then the copy is skipped and the newer one applied
    await waitFor(async () => ((await count('once', 'k2')) === 1 ? true : undefined));
    expect(await count('once', 'k')).toBe(1);
  });

  test('a message replayed for another consumer is acknowledged and not applied', async () => {
    // Given a running projection
    start(counting('bystander', { on: false }));
    await publish({ key: 'first' });
    await waitFor(async () => ((await count('bystander', 'first')) === 1 ? true : undefined));

    // When a message arrives that ops replayed for some other consumer
    const h = headers();
    h.set(REPLAY_FOR_HEADER, 'someone-else');
    const replay = createEnvelope({ type: 'Counted', data: { key: 'theirs' }, workspaceId: null });
    await jetstream(nc).publish('test.evt.counted', JSON.stringify(replay), { headers: h });
    await publish({ key: 'after' });

    // Then the bystander skips it and carries on
    await waitFor(async () => ((await count('bystander', 'after')) === 1 ? true : undefined));
    expect(await count('bystander', 'theirs')).toBe(0);
  });

  test('events it does not handle cost no write each; after a restart it skips them again and applies the rest once', async () => {
    // Given a projection that applied one event, so its checkpoint is stored
    const storedSeq = async () =>
      Number(
        (
          await db.query<{ stream_seq: string }>(
            `SELECT stream_seq FROM proj.projection_checkpoints WHERE projection = 'sparse'`,
          )
        )[0]!.stream_seq,
      );
    // (stored at most once a minute while nothing is applied, however slow this machine is)
    startWith({ idleCheckpointMs: 60_000 }, counting('sparse', { on: false }));
    await publish({ key: 'applied' });
    await waitFor(async () => ((await count('sparse', 'applied')) === 1 ? true : undefined));
    const stored = await storedSeq();

    // When a burst of events of a type it does not handle follows
    for (let i = 0; i < 20; i++) {
      const other = createEnvelope({ type: 'Ignored', data: { i }, workspaceId: null });
      await bus.js.publish('test.evt.ignored', JSON.stringify(other), { msgID: other.id });
    }
    const status = async () => (await projections!.statuses()).find((s) => s.name === 'sparse')!;
    await waitFor(async () => ((await status()).streamSeq === stored + 20 ? true : undefined));

    // Then it has moved past them without storing a checkpoint for each
    expect((await status()).lag).toBe(0);
    expect(await storedSeq()).toBeLessThan(stored + 20);

    // And when it restarts and a handled event follows, that event is applied once and the
    // first one is not applied again
    await projections!.stop();
    start(counting('sparse', { on: false }));
    await publish({ key: 'after-restart' });
    await waitFor(async () => ((await count('sparse', 'after-restart')) === 1 ? true : undefined));
    expect(await count('sparse', 'applied')).toBe(1);
    expect(await storedSeq()).toBe(stored + 21);
  });

  test('given a pool for leases, then each leader holds its lock there and the shared pool stays free', async () => {
    // Given a pool of leases beside the shared one
    const leases = createDataSource({
      url: db.url,
      schema: 'proj',
      migrations: [],
      applicationName: 'projection-test-leases',
    });
    await leases.initialize();
    try {
      // When two projections lead
      startOn(
        { dataSource, leases },
        {},
        counting('leased-a', { on: false }),
        counting('leased-b', { on: false }),
      );
      await publish({ key: 'leased' });
      await waitFor(async () =>
        (await count('leased-a', 'leased')) === 1 && (await count('leased-b', 'leased')) === 1
          ? true
          : undefined,
      );

      // Then both locks are held on the leases' connections, none on the shared pool's
      const holders = await db.query<{ application_name: string }>(
        `SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
         WHERE l.locktype = 'advisory' AND l.granted AND a.datname = current_database()`,
      );
      expect(holders.map((h) => h.application_name).sort()).toEqual([
        'projection-test-leases',
        'projection-test-leases',
      ]);
    } finally {
      await projections?.stop();
      projections = undefined;
      await leases.destroy();
    }
  });

  test('a replica whose lock session ends applies nothing more; the replica that takes over applies each event once', async () => {
    // Given replica A leads a projection (each replica tags what it applies with its name)
    const tagged = (replica: string): Projection => ({
      ...counting('handover', { on: false }),
      async apply(tx, events) {
        for (const event of events) {
          const { key } = event.data as { key: string };
          await tx.query(`INSERT INTO proj.counts (projection, key, n) VALUES ($1, $2, 1)`, [
            'handover',
            `${key}@${replica}`,
          ]);
        }
      },
    });
    start(tagged('a'));
    await publish({ key: 'first' });
    await waitFor(async () => ((await count('handover', 'first@a')) === 1 ? true : undefined));
    const b = new Projections({
      dataSource,
      bus,
      logger: createLogger('projection-test', 'silent'),
      schema: 'proj',
    });
    try {
      // When A's lock session ends (as a Postgres restart ends it) and replica B takes the lead
      const runnerB = b.run(tagged('b'), { retryMs: 50 });
      b.start();
      await db.query(
        `SELECT pg_terminate_backend(l.pid) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
         WHERE l.locktype = 'advisory' AND l.granted AND a.datname = current_database()`,
      );
      await waitFor(async () =>
        (await runnerB.status()).state === 'projecting' ? true : undefined,
      );
      const keys = Array.from({ length: 20 }, (_, i) => `handover-${i}`);
      for (const key of keys) await publish({ key });

      // Then B applies every later event once, and A none of them
      await waitFor(async () => {
        const rows = await db.query<{ key: string }>(
          `SELECT key FROM proj.counts WHERE projection = 'handover' AND key LIKE 'handover-%'`,
        );
        return rows.length >= keys.length ? rows.map((r) => r.key).sort() : undefined;
      });
      await new Promise((r) => setTimeout(r, 300));
      const rows = await db.query<{ key: string }>(
        `SELECT key FROM proj.counts WHERE projection = 'handover' AND key LIKE 'handover-%'`,
      );
      expect(rows.map((r) => r.key).sort()).toEqual(keys.map((k) => `${k}@b`).sort());
    } finally {
      await b.stop();
    }
  });

  test('a standby replica asks for the lead again and again without piling up listeners', async () => {
    // Given one replica leads a projection
    start(counting('standby', { on: false }));
    await publish({ key: 'led' });
    await waitFor(async () => ((await count('standby', 'led')) === 1 ? true : undefined));
    // pg-pool's clients (not public API): what a listener left behind stays attached to.
    const pooled = () =>
      (dataSource.driver as unknown as { master: { _clients: EventEmitter[] } }).master._clients;
    const mostErrorListeners = () => Math.max(...pooled().map((c) => c.listenerCount('error')));
    const before = mostErrorListeners();
    const standby = new Projections({
      dataSource,
      bus,
      logger: createLogger('projection-test', 'silent'),
      schema: 'proj',
    });
    try {
      // When a second replica keeps trying to lead it (every 10 ms: as many tries as a day-old
      // replica's first minutes)
      const runner = standby.run(counting('standby', { on: false }), { retryMs: 10 });
      standby.start();
      await waitFor(async () => ((await runner.status()).state === 'standby' ? true : undefined));
      await new Promise((r) => setTimeout(r, 1_000));

      // Then it stays standby, and no connection of the pool collects a listener per try
      expect((await runner.status()).state).toBe('standby');
      expect(mostErrorListeners()).toBeLessThanOrEqual(before + 1);
    } finally {
      await standby.stop();
    }
  });
});
