import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { BusClient } from '#libs/messaging/src/index.js';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import pg from 'pg';
import { eventSubject, Streams, type Envelope } from '#libs/contracts/src/index.js';
import { ensureStreams } from '#libs/messaging/src/index.js';
import { NatsServerFixture, PostgresFixture, waitFor } from '#libs/testing/src/index.js';
import {
  EventPublisher,
  EventStore,
  eventStoreSchemaSql,
  jetStreamSink,
  VersionConflictError,
  type NewEvent,
  type StoredEvent,
} from './index.js';

const SCHEMA = 'es_test';
let db: PostgresFixture;
let pool: pg.Pool;
let store: EventStore;

const event = (type = 'ThingHappened', data: unknown = { n: 1 }): NewEvent => ({
  id: randomUUID(),
  type,
  schemaVersion: 1,
  data,
  metadata: { workspaceId: null, correlationId: randomUUID(), causationId: null, actor: 'test' },
  occurredAt: new Date().toISOString(),
});

beforeAll(async () => {
  db = await PostgresFixture.create('eventstore');
  pool = new pg.Pool({ connectionString: db.url, max: 12 });
  pool.on('error', () => undefined);
  await pool.query(`CREATE SCHEMA ${SCHEMA}`);
  for (const sql of eventStoreSchemaSql(SCHEMA)) await pool.query(sql);
  store = new EventStore(pool, SCHEMA);
});

afterAll(async () => {
  await pool.end();
  await db.dispose();
});

/** A publisher that records what it publishes, in order. */
function recordingPublisher(name: string) {
  const published: StoredEvent[] = [];
  const publisher = new EventPublisher(
    store,
    async (events) => {
      published.push(...events);
    },
    { name, pollIntervalMs: 5 },
  );
  return { publisher, published };
}

describe('append and read', () => {
  test('appends with versions, reads the stream back in order', async () => {
    const stream = `thing-${randomUUID()}`;
    const first = await store.append(stream, 0, [event(), event()]);
    await store.append(stream, 2, [event()]);
    expect(first.map((e) => e.streamVersion)).toEqual([1, 2]);
    const read = await store.readStream(stream);
    expect(read.map((e) => e.streamVersion)).toEqual([1, 2, 3]);
    expect(BigInt(read[2]!.position)).toBeGreaterThan(BigInt(read[1]!.position));
  });

  test('two writers expecting the same version: one wins, the other gets a version conflict', async () => {
    const stream = `thing-${randomUUID()}`;
    await store.append(stream, 0, [event()]);
    const results = await Promise.allSettled(
      Array.from({ length: 8 }, () => store.append(stream, 1, [event()])),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const failures = results.filter((r) => r.status === 'rejected');
    expect(failures).toHaveLength(7);
    for (const f of failures) expect(f.reason).toBeInstanceOf(VersionConflictError);
    expect(await store.readStream(stream)).toHaveLength(2);
  });

  test('the log refuses updates and deletes', async () => {
    const stream = `thing-${randomUUID()}`;
    await store.append(stream, 0, [event()]);
    await expect(
      pool.query(`UPDATE ${SCHEMA}.events SET data = '{}' WHERE stream_id = $1`, [stream]),
    ).rejects.toThrow(/append-only/);
    await expect(
      pool.query(`DELETE FROM ${SCHEMA}.events WHERE stream_id = $1`, [stream]),
    ).rejects.toThrow(/append-only/);
  });

  test('an upcaster turns an old schema version into the current shape on read', async () => {
    const stream = `thing-${randomUUID()}`;
    // Version 1 of `Renamed` had one `fullName`; version 2 splits it.
    await store.append(stream, 0, [{ ...event('Renamed', { fullName: 'Ada Lovelace' }) }]);
    const upcasting = new EventStore(pool, SCHEMA, [
      {
        type: 'Renamed',
        fromVersion: 1,
        upcast: (data) => {
          const [first, ...rest] = (data as { fullName: string }).fullName.split(' ');
          return { firstName: first, lastName: rest.join(' ') };
        },
      },
    ]);
    const [read] = await upcasting.readStream(stream);
    expect(read!.schemaVersion).toBe(2);
    expect(read!.data).toEqual({ firstName: 'Ada', lastName: 'Lovelace' });
    const [raw] = await store.readStream(stream);
    expect(raw!.data).toEqual({ fullName: 'Ada Lovelace' });
  });
});

describe('publisher and the late-commit gap', () => {
  test('a position committed late is published before the higher one that committed first', async () => {
    const { publisher, published } = recordingPublisher(`gap-${randomUUID()}`);
    publisher.start();
    await waitFor(() => (publisher.isLeader ? true : undefined));
    const before = publisher.position;
    await waitFor(async () => {
      const { rows } = await pool.query(`SELECT max(position)::text AS p FROM ${SCHEMA}.events`);
      return publisher.position === (rows[0].p ?? '0') ? true : undefined;
    });
    published.length = 0;

    const slow = await pool.connect();
    try {
      await slow.query('BEGIN');
      const [late] = await store.append(`late-${randomUUID()}`, 0, [event()], slow);
      const [early] = await store.append(`early-${randomUUID()}`, 0, [event()]);
      expect(BigInt(early!.position)).toBeGreaterThan(BigInt(late!.position));

      // The higher position is visible, the lower is not: nothing may go out yet.
      await new Promise((r) => setTimeout(r, 150));
      expect(published.map((e) => e.position)).toEqual([]);

      await slow.query('COMMIT');
      await waitFor(() => (published.length === 2 ? true : undefined), { timeoutMs: 5_000 });
      expect(published.map((e) => e.position)).toEqual([late!.position, early!.position]);
      expect(BigInt(publisher.position)).toBeGreaterThan(BigInt(before));
    } finally {
      slow.release();
      await publisher.stop();
    }
  });

  test('a position whose transaction rolled back is a permanent gap, not a stall', async () => {
    const { publisher, published } = recordingPublisher(`rollback-${randomUUID()}`);
    publisher.start();
    const slow = await pool.connect();
    try {
      await slow.query('BEGIN');
      const [lost] = await store.append(`lost-${randomUUID()}`, 0, [event()], slow);
      const [kept] = await store.append(`kept-${randomUUID()}`, 0, [event()]);
      await new Promise((r) => setTimeout(r, 100));
      expect(published.some((e) => e.position === kept!.position)).toBe(false);
      await slow.query('ROLLBACK');
      await publisher.waitFor(kept!.position, 5_000);
      expect(published.some((e) => e.position === lost!.position)).toBe(false);
      const positions = published.map((e) => BigInt(e.position));
      expect([...positions].sort((a, b) => (a < b ? -1 : 1))).toEqual(positions);
    } finally {
      slow.release();
      await publisher.stop();
    }
  });

  test('a writer paused right after taking its position holds back a higher one committed meanwhile', async () => {
    // The paused writer's connection finds this nextval() before pg_catalog's: it takes the real
    // position, then waits at the gate, as a backend descheduled at that instant would. The
    // sequence is unlogged so that nextval() never takes a transaction id of its own (a logged
    // one does every 32 values): the writer owns one only if the append took it first.
    const gateKey = 4_242;
    await pool.query(`ALTER SEQUENCE ${store.tables.positions} SET UNLOGGED`);
    await pool.query('CREATE SCHEMA es_paused');
    await pool.query(`CREATE FUNCTION es_paused.nextval(seq regclass) RETURNS bigint
      LANGUAGE plpgsql AS $$
      DECLARE taken bigint := pg_catalog.nextval(seq);
      BEGIN PERFORM pg_advisory_xact_lock_shared(${gateKey}); RETURN taken; END $$`);
    const paused = new pg.Client({
      connectionString: db.url,
      options: '-c search_path=es_paused,pg_catalog',
    });
    await paused.connect();
    const gate = await pool.connect();
    const { publisher, published } = recordingPublisher(`paused-${randomUUID()}`);
    publisher.start();
    let lateAppend: Promise<StoredEvent[]> | undefined;
    try {
      await waitFor(async () => {
        const { rows } = await pool.query(`SELECT max(position)::text AS p FROM ${SCHEMA}.events`);
        return publisher.position === (rows[0].p ?? '0') ? true : undefined;
      });
      published.length = 0;
      await gate.query('SELECT pg_advisory_lock($1)', [gateKey]);
      const pid = (await paused.query('SELECT pg_backend_pid() AS pid')).rows[0].pid;
      lateAppend = store.append(`late-${randomUUID()}`, 0, [event()], paused);
      await waitFor(async () => {
        const { rows } = await pool.query(
          `SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND pid = $1`,
          [pid],
        );
        return rows.length > 0 ? true : undefined;
      });
      const [early] = await store.append(`early-${randomUUID()}`, 0, [event()]);

      // The paused writer's position is below the committed one: nothing may go out yet.
      await new Promise((r) => setTimeout(r, 150));
      expect(published.map((e) => e.position)).toEqual([]);

      await gate.query('SELECT pg_advisory_unlock($1)', [gateKey]);
      const [late] = await lateAppend;
      await publisher.waitFor(early!.position, 5_000);
      expect(published.map((e) => e.position)).toEqual([late!.position, early!.position]);
    } finally {
      await gate.query('SELECT pg_advisory_unlock_all()');
      await lateAppend?.catch(() => undefined);
      gate.release();
      await paused.end();
      await publisher.stop();
    }
  });

  test('many concurrent writers: every committed event published once, in position order', async () => {
    const { publisher, published } = recordingPublisher(`many-${randomUUID()}`);
    publisher.start();
    const writes = await Promise.all(
      Array.from({ length: 12 }, async (_, w) => {
        const stream = `writer-${w}-${randomUUID()}`;
        const out: StoredEvent[] = [];
        for (let v = 0; v < 15; v++) out.push(...(await store.append(stream, v, [event()])));
        return out;
      }),
    );
    const last = writes
      .flat()
      .map((e) => BigInt(e.position))
      .reduce((a, b) => (a > b ? a : b));
    await publisher.waitFor(last.toString(), 10_000);
    await publisher.stop();
    const ids = published.map((e) => e.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const e of writes.flat()) expect(ids).toContain(e.id);
    const positions = published.map((e) => BigInt(e.position));
    expect([...positions].sort((a, b) => (a < b ? -1 : 1))).toEqual(positions);
  });

  test('one publisher leads per name; the other waits', async () => {
    const name = `leader-${randomUUID()}`;
    const a = recordingPublisher(name).publisher;
    const b = new EventPublisher(store, async () => undefined, { name, leaderRetryMs: 50 });
    a.start();
    await waitFor(() => (a.isLeader ? true : undefined));
    b.start();
    await new Promise((r) => setTimeout(r, 200));
    expect(b.isLeader).toBe(false);
    await a.stop();
    await waitFor(() => (b.isLeader ? true : undefined), { what: 'takeover' });
    await b.stop();
  });
});

describe('publisher and the events its process hands over', () => {
  /** A publisher whose store counts its reads of the log; it polls rarely, so wakes drive it. */
  async function countingPublisher() {
    const counted = new EventStore(pool, SCHEMA);
    const reads = { count: 0 };
    const readAll = counted.readAll.bind(counted);
    counted.readAll = (...args) => {
      reads.count++;
      return readAll(...args);
    };
    const published: StoredEvent[] = [];
    const publisher = new EventPublisher(
      counted,
      async (events) => void published.push(...events),
      {
        name: `handed-${randomUUID()}`,
        pollIntervalMs: 60_000,
      },
    );
    publisher.start();
    const { rows } = await pool.query(`SELECT max(position)::text AS p FROM ${SCHEMA}.events`);
    await publisher.waitFor(rows[0].p ?? '0');
    reads.count = 0;
    published.length = 0;
    return { publisher, published, reads };
  }

  test('given events committed right after the last published, when handed over, then they go out unread, as a read answers them', async () => {
    const { publisher, published, reads } = await countingPublisher();
    try {
      const appended = await store.append(`handed-${randomUUID()}`, 0, [event(), event()]);
      publisher.wake(appended);
      await publisher.waitFor(appended.at(-1)!.position, 5_000);

      expect(reads.count).toBe(0);
      const before = (BigInt(appended[0]!.position) - 1n).toString();
      expect(published).toEqual(await store.readAll(before, 2));
    } finally {
      await publisher.stop();
    }
  });

  test('given an unpublished event before them, when events are handed over, then the log is read and order kept', async () => {
    const { publisher, published, reads } = await countingPublisher();
    try {
      const [notHanded] = await store.append(`elsewhere-${randomUUID()}`, 0, [event()]);
      const handed = await store.append(`handed-${randomUUID()}`, 0, [event()]);
      publisher.wake(handed);
      await publisher.waitFor(handed[0]!.position, 5_000);

      expect(reads.count).toBeGreaterThan(0);
      expect(published.map((e) => e.id)).toEqual([notHanded!.id, handed[0]!.id]);
    } finally {
      await publisher.stop();
    }
  });
});

describe('publishing to JetStream across a crash', () => {
  let nats: NatsServerFixture;
  let nc: NatsConnection;
  let jsm: JetStreamManager;

  beforeAll(async () => {
    nats = await NatsServerFixture.start();
    nc = await connect({ servers: nats.url, maxReconnectAttempts: -1, reconnectTimeWait: 100 });
    jsm = await jetstreamManager(nc);
    await ensureStreams(jsm, [Streams.integrationEvents]);
  });

  afterAll(async () => {
    await nc.close();
    await nats.dispose();
  });

  test('the bus goes away and comes back: the publisher catches up with everything appended meanwhile', async () => {
    const name = `outage-${randomUUID()}`;
    const { rows } = await pool.query(
      `SELECT coalesce(max(position), 0)::text AS p FROM ${SCHEMA}.events`,
    );
    await pool.query(
      `INSERT INTO ${SCHEMA}.event_publisher_checkpoints (name, position) VALUES ($1, $2)`,
      [name, rows[0].p],
    );
    const resilient = await connect({
      servers: nats.url,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 100,
    });
    const publisher = new EventPublisher(
      store,
      jetStreamSink(new BusClient(resilient), () => 'integrations.evt.thing-happened', {
        timeoutMs: 1_000,
      }),
      { name, pollIntervalMs: 5 },
    );
    publisher.start();
    const stream = `outage-${randomUUID()}`;
    try {
      await publisher.waitFor((await store.append(stream, 0, [event()]))[0]!.position);
      await nats.stop();
      const during = await store.append(stream, 1, [event(), event(), event()]);
      await new Promise((r) => setTimeout(r, 500));
      await nats.resume();
      await publisher.waitFor(during.at(-1)!.position, 20_000);
      const info = await jsm.streams.info(Streams.integrationEvents.name);
      const versions: number[] = [];
      for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
        const e = (await jsm.streams.getMessage(Streams.integrationEvents.name, {
          seq,
        }))!.json<Envelope>();
        if (e.streamId === stream) versions.push(e.streamVersion!);
      }
      expect(versions).toEqual([1, 2, 3, 4]);
    } finally {
      await publisher.stop();
      await resilient.close();
    }
  }, 40_000);

  test('crash between publish and checkpoint: after restart nothing is missing or doubled', async () => {
    const name = `jetstream-${randomUUID()}`;
    const subjectFor = (e: StoredEvent) => eventSubject('integrations.evt', e.type);
    const sink = jetStreamSink(new BusClient(nc), subjectFor);
    const stream = `crash-${randomUUID()}`;

    // Start from the end of the log so this test only sees its own events.
    const { rows } = await pool.query(
      `SELECT coalesce(max(position), 0)::text AS p FROM ${SCHEMA}.events`,
    );
    await pool.query(
      `INSERT INTO ${SCHEMA}.event_publisher_checkpoints (name, position) VALUES ($1, $2)`,
      [name, rows[0].p],
    );

    const first = new EventPublisher(store, sink, { name, pollIntervalMs: 5 });
    first.crashAfterPublish = true;
    const before = await store.append(
      stream,
      0,
      Array.from({ length: 5 }, () => event('ThingHappened')),
    );
    first.start();
    // Published to JetStream, but the checkpoint never moves: the crash happens every time.
    await waitFor(async () =>
      (await jsm.streams.info(Streams.integrationEvents.name)).state.messages >= 5
        ? true
        : undefined,
    );
    await first.stop();
    const saved = await pool.query(
      `SELECT position::text AS p FROM ${SCHEMA}.event_publisher_checkpoints WHERE name = $1`,
      [name],
    );
    expect(saved.rows[0].p).toBe(rows[0].p);

    // While no publisher runs, more events are appended.
    const after = await store.append(
      stream,
      5,
      Array.from({ length: 5 }, () => event('ThingHappened')),
    );

    const second = new EventPublisher(store, sink, { name, pollIntervalMs: 5 });
    second.start();
    await second.waitFor(after.at(-1)!.position);
    await second.stop();

    // A consumer that dedupes by event id sees each event exactly once, in log order.
    const info = await jsm.streams.info(Streams.integrationEvents.name);
    const seen = new Map<string, Envelope>();
    let raw = 0;
    for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
      const msg = await jsm.streams.getMessage(Streams.integrationEvents.name, { seq });
      const envelope = msg!.json<Envelope>();
      if (envelope.streamId !== stream) continue;
      raw++;
      if (!seen.has(envelope.id)) seen.set(envelope.id, envelope);
    }
    const expected = [...before, ...after];
    expect([...seen.values()].map((e) => e.id)).toEqual(expected.map((e) => e.id));
    expect([...seen.values()].map((e) => e.streamVersion)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    // The stream's own Nats-Msg-Id dedupe absorbed the republished batch, too.
    expect(raw).toBe(10);
    const envelope = [...seen.values()][0]!;
    expect(envelope.position).toBe(before[0]!.position);
    expect(envelope.data).toEqual({ n: 1 });
  });
});
