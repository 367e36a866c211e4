import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { BusClient } from '#libs/messaging/src/index.js';
import pg from 'pg';
import { connect } from '@nats-io/transport-node';
import { Streams } from '#libs/contracts/src/index.js';
import {
  EventPublisher,
  EventStore,
  eventStoreSchemaSql,
  jetStreamSink,
  VersionConflictError,
  type NewEvent,
} from '#libs/event-store/src/index.js';
import { ensureStreams, jetstreamManager } from '#libs/messaging/src/index.js';
import { NatsServerFixture, PostgresFixture } from '#libs/testing/src/index.js';
import { median, percentileOfSorted } from './support/stats.js';

/**
 * `npm run bench:eventstore`, in one run against a private Postgres database and nats-server:
 *  1. appends/s with WRITERS concurrent writers on distinct streams, through `EventStore.append`
 *     (one statement per append, expected version checked by the unique index);
 *  2. the same on one hot stream (writers re-read the version after each conflict);
 *  3. a plain `INSERT` loop through `pg` into a table of the same shape (same indexes), as the
 *     baseline; the ratio (1)/(3) is the figure (aim >= 0.6). (1) and (3) alternate in ROUNDS
 *     short rounds and the medians are reported, so a neighbour's load hits both alike;
 *  4. commit-to-publish lag at RATE events/s: from the moment an append's commit returns to the
 *     moment a subscriber on the bus receives the event the publisher sent to JetStream (p50, p99;
 *     aim p99 < 50 ms), after WARMUP_SECONDS at the same rate that are not measured. The
 *     appender wakes the publisher as the service does. `worstBySecondMs` shows whether a tail
 *     is spread out or one stall (the machine is shared: read it beside the load average).
 */
const WRITERS = Number(process.env.WRITERS ?? 16);
const SECONDS = Number(process.env.SECONDS ?? 4);
/** The throughput comparison runs as ROUNDS alternating pairs of SECONDS / ROUNDS each. */
const ROUNDS = Number(process.env.ROUNDS ?? 4);
const RATE = Number(process.env.RATE ?? 1000);
const WARMUP_SECONDS = Number(process.env.WARMUP_SECONDS ?? 1);

const event = (): NewEvent => ({
  id: randomUUID(),
  type: 'BenchEventHappened',
  schemaVersion: 1,
  data: { integrationId: randomUUID(), provider: 'github', note: 'x'.repeat(100) },
  metadata: {
    workspaceId: randomUUID(),
    correlationId: randomUUID(),
    causationId: null,
    actor: 'bench',
  },
  occurredAt: new Date().toISOString(),
});

async function forDuration(
  work: (deadline: number) => Promise<number>,
  seconds = SECONDS,
): Promise<number> {
  const started = performance.now();
  const deadline = started + seconds * 1000;
  const counts = await Promise.all(Array.from({ length: WRITERS }, () => work(deadline)));
  const elapsed = (performance.now() - started) / 1000;
  return counts.reduce((a, b) => a + b, 0) / elapsed;
}

async function main() {
  const db = await PostgresFixture.create('bench_es');
  const nats = await NatsServerFixture.start();
  const pool = new pg.Pool({ connectionString: db.url, max: WRITERS + 4 });
  let ending = false;
  pool.on('error', (error) => {
    if (!ending) console.error(`pool: ${error.message}`);
  });
  try {
    for (const schema of ['es', 'plain']) {
      await pool.query(`CREATE SCHEMA ${schema}`);
      for (const sql of eventStoreSchemaSql(schema)) await pool.query(sql);
    }
    const store = new EventStore(pool, 'es');

    // Warm up the pool's connections and the plan caches.
    await Promise.all(
      Array.from({ length: WRITERS }, () => store.append(`warm-${randomUUID()}`, 0, [event()])),
    );

    const plainRound = () =>
      forDuration(async (deadline) => {
        const stream = `plain-${randomUUID()}`;
        let n = 0;
        while (performance.now() < deadline) {
          const e = event();
          await pool.query(
            `INSERT INTO plain.events (stream_id, stream_version, event_id, type, schema_version, data,
             metadata, occurred_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
            [
              stream,
              ++n,
              e.id,
              e.type,
              e.schemaVersion,
              JSON.stringify(e.data),
              JSON.stringify(e.metadata),
              e.occurredAt,
            ],
          );
        }
        return n;
      }, SECONDS / ROUNDS);

    const distinctRound = () =>
      forDuration(async (deadline) => {
        const stream = `distinct-${randomUUID()}`;
        let version = 0;
        while (performance.now() < deadline) {
          await store.append(stream, version, [event()]);
          version++;
        }
        return version;
      }, SECONDS / ROUNDS);

    // Alternate short rounds so both sides see the same neighbours on a shared machine.
    const plainRates: number[] = [];
    const distinctRates: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      plainRates.push(await plainRound());
      distinctRates.push(await distinctRound());
    }
    const plain = median(plainRates);
    const distinct = median(distinctRates);
    const ratios = plainRates.map((p, i) => distinctRates[i]! / p);

    let conflicts = 0;
    const hotStream = `hot-${randomUUID()}`;
    const hot = await forDuration(async (deadline) => {
      let n = 0;
      let version = 0;
      while (performance.now() < deadline) {
        try {
          await store.append(hotStream, version, [event()]);
          version++;
          n++;
        } catch (error) {
          if (!(error instanceof VersionConflictError)) throw error;
          conflicts++;
          const { rows } = await pool.query<{ v: number }>(
            'SELECT coalesce(max(stream_version), 0)::int AS v FROM es.events WHERE stream_id = $1',
            [hotStream],
          );
          version = rows[0]!.v;
        }
      }
      return n;
    });

    // Lag: the publisher starts at the end of the log, then RATE appends/s for SECONDS.
    const nc = await connect({ servers: nats.url });
    await ensureStreams(await jetstreamManager(nc), [Streams.integrationEvents]);
    const { rows } = await pool.query<{ p: string }>(
      'SELECT max(position)::text AS p FROM es.events',
    );
    await pool.query(
      'INSERT INTO es.event_publisher_checkpoints (name, position) VALUES ($1, $2)',
      ['bench', rows[0]!.p],
    );
    const committedAt = new Map<string, number>();
    const receivedAt = new Map<string, number>();
    const sub = nc.subscribe('integrations.evt.>', {
      callback: (_error, msg) => {
        receivedAt.set((msg.json() as { id: string }).id, performance.now());
      },
    });
    const publisher = new EventPublisher(
      store,
      jetStreamSink(new BusClient(nc), () => 'integrations.evt.bench-event-happened'),
      {
        name: 'bench',
        pollIntervalMs: 20,
      },
    );
    publisher.start();
    // The first WARMUP_SECONDS run at the same rate but are not measured (JIT, pool, caches).
    const warmup = RATE * WARMUP_SECONDS;
    const total = RATE * (SECONDS + WARMUP_SECONDS);
    const tickMs = 10;
    const perTick = Math.max(1, Math.round((RATE * tickMs) / 1000));
    const started = performance.now();
    const inflight: Promise<void>[] = [];
    for (let sent = 0, tick = 0; sent < total; tick++) {
      const due = started + tick * tickMs;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      for (let i = 0; i < perTick && sent < total; i++, sent++) {
        const e = event();
        const measured = sent >= warmup;
        inflight.push(
          store.append(`lag-${randomUUID()}`, 0, [e]).then(() => {
            if (measured) committedAt.set(e.id, performance.now());
            publisher.wake();
          }),
        );
      }
    }
    await Promise.all(inflight);
    const achieved = total / ((performance.now() - started) / 1000);
    const expected = total - warmup;
    const deadline = Date.now() + 15_000;
    while (receivedAt.size < total && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    await publisher.stop();
    sub.unsubscribe();
    await nc.close();

    // An event can reach the subscriber before its append's promise callback runs: lag 0.
    const lags = [...committedAt].flatMap(([id, at]) => {
      const received = receivedAt.get(id);
      return received === undefined ? [] : [Math.max(0, received - at)];
    });
    // Worst lag per second of the run: a tail from one stall shows as one bad second.
    const worstBySecond: number[] = [];
    for (const [id, at] of committedAt) {
      const received = receivedAt.get(id);
      if (received === undefined) continue;
      const second = Math.floor((at - started) / 1000) - WARMUP_SECONDS;
      worstBySecond[second] = Math.max(worstBySecond[second] ?? 0, received - at);
    }
    lags.sort((a, b) => a - b);
    const pct = (p: number) => percentileOfSorted(lags, p);
    const result = {
      writers: WRITERS,
      secondsPerPhase: SECONDS,
      plainInsertPerSec: Math.round(plain),
      appendDistinctStreamsPerSec: Math.round(distinct),
      ratioDistinctToPlain: Number(median(ratios).toFixed(2)),
      rounds: ROUNDS,
      ratioPerRound: ratios.map((r) => Number(r.toFixed(2))),
      appendHotStreamPerSec: Math.round(hot),
      hotStreamConflicts: conflicts,
      lag: {
        targetRatePerSec: RATE,
        achievedRatePerSec: Math.round(achieved),
        received: lags.length,
        expected,
        warmupSeconds: WARMUP_SECONDS,
        p50Ms: Number(pct(50).toFixed(2)),
        p99Ms: Number(pct(99).toFixed(2)),
        maxMs: Number(lags.at(-1)!.toFixed(2)),
        worstBySecondMs: worstBySecond.map((v) => Math.round(v ?? 0)),
      },
    };
    console.log(`plain INSERT loop, ${WRITERS} writers:        ${result.plainInsertPerSec} rows/s`);
    console.log(
      `EventStore.append, distinct streams:  ${result.appendDistinctStreamsPerSec} events/s (median ratio ${result.ratioDistinctToPlain}, per round ${result.ratioPerRound.join(' ')})`,
    );
    console.log(
      `EventStore.append, one hot stream:    ${result.appendHotStreamPerSec} events/s (${conflicts} version conflicts retried)`,
    );
    console.log(
      `commit -> JetStream publish at ${result.lag.achievedRatePerSec}/s: p50 ${result.lag.p50Ms} ms, p99 ${result.lag.p99Ms} ms, max ${result.lag.maxMs} ms (${lags.length}/${expected} received after ${WARMUP_SECONDS} s warm-up)`,
    );
    console.log(JSON.stringify(result));
  } finally {
    ending = true;
    await pool.end();
    await nats.dispose();
    await db.dispose();
  }
}

await main();
