import { afterAll, afterEach, beforeAll, describe, expect, test } from '@jest/globals';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager, type JsMsg } from '@nats-io/jetstream';
import { pino } from 'pino';
import { Streams, type StreamDefinition } from '#libs/contracts/src/index.js';
import { NatsServerFixture, waitFor } from '#libs/testing/src/index.js';
import { Bus } from './bus.js';
import { listDeadLetters } from './dead-letters.js';
import {
  DurableConsumer,
  type DurableConsumerOptions,
  type MessageHandler,
} from './durable-consumer.js';
import { Unretryable } from './failures.js';
import { ensureStreams } from './streams.js';

const WORK: StreamDefinition = {
  name: 'WORK',
  subjects: ['work.>'],
  retention: 'limits',
  duplicateWindowMs: 60_000,
  limits: { maxAgeMs: 60 * 60 * 1000, maxBytes: 64 * 1024 ** 2 },
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('the durable consumer: ordered by key, retried, parked, handed back on stop', () => {
  let nats: NatsServerFixture;
  let nc: NatsConnection;
  let bus: Bus;
  const running: DurableConsumer[] = [];
  const parked: { durable: string; attempt: number }[] = [];
  const retried: { durable: string; attempt: number }[] = [];

  /** A consumer of `work.<name>` as `name`, retried after 50 ms, stopped after the test. */
  async function consume(
    name: string,
    handle: MessageHandler,
    options: Partial<DurableConsumerOptions> = {},
  ): Promise<DurableConsumer> {
    const consumer = new DurableConsumer(
      bus,
      {
        stream: WORK.name,
        durable: name,
        filterSubject: `work.${name}`,
        ackWaitMs: 30_000,
        concurrency: 4,
        maxDeliver: 3,
        retryDelayMs: () => 50,
        observer: {
          retried: (_msg, attempt) => retried.push({ durable: name, attempt }),
          parked: (_msg, attempt) => parked.push({ durable: name, attempt }),
        },
        ...options,
      },
      handle,
      pino({ level: 'silent' }),
    );
    running.push(consumer);
    await consumer.start();
    return consumer;
  }

  const send = (name: string, body: object) => bus.js.publish(`work.${name}`, JSON.stringify(body));

  const deadLettersOf = async (durable: string) =>
    (await listDeadLetters(bus.jsm)).filter((entry) => entry.consumer === durable);

  beforeAll(async () => {
    nats = await NatsServerFixture.start();
    nc = await connect({ servers: nats.url });
    const jsm = await jetstreamManager(nc);
    await ensureStreams(jsm, [WORK, Streams.deadLetters]);
    bus = new Bus(nc, jsm, []);
  });

  afterEach(async () => {
    await Promise.all(running.splice(0).map((consumer) => consumer.stop()));
  });

  afterAll(async () => {
    await nc.close();
    await nats.dispose();
  });

  test('given messages about two keys, when they run at once, then each key keeps its order', async () => {
    // Given three messages about `a` (the first the slowest) and one about `b`
    const seen: string[] = [];
    await consume(
      'ordered',
      async (msg) => {
        const { key, n } = msg.json<{ key: string; n: number }>();
        if (key === 'a') await sleep(n === 1 ? 300 : 20);
        seen.push(`${key}${n}`);
      },
      { keyOf: (msg) => msg.json<{ key: string }>().key },
    );

    // When they are published
    for (const [key, n] of [
      ['a', 1],
      ['b', 1],
      ['a', 2],
      ['a', 3],
    ] as const)
      await send('ordered', { key, n });
    await waitFor(() => (seen.length === 4 ? true : undefined), { what: 'four messages' });

    // Then `b` did not wait for `a`, and `a` ran in the order published
    expect(seen.filter((s) => s.startsWith('a'))).toEqual(['a1', 'a2', 'a3']);
    expect(seen.indexOf('b1')).toBeLessThan(seen.indexOf('a1'));
  });

  test('given a handler that fails once, when the message comes back, then it is acknowledged', async () => {
    // Given a handler that fails on the first delivery only
    const deliveries: number[] = [];
    await consume('flaky', async (msg) => {
      deliveries.push(msg.info.deliveryCount);
      if (msg.info.deliveryCount === 1) throw new Error('database restarting');
    });

    // When a message arrives
    await send('flaky', { n: 1 });

    // Then it is retried once, succeeds, and nothing is parked
    await waitFor(() => (deliveries.length === 2 ? true : undefined), { what: 'a retry' });
    expect(deliveries).toEqual([1, 2]);
    expect(retried.filter((r) => r.durable === 'flaky')).toEqual([
      { durable: 'flaky', attempt: 1 },
    ]);
    await waitFor(async () => {
      const i = await bus.jsm.consumers.info(WORK.name, 'flaky');
      return i.num_ack_pending + i.num_pending === 0 ? true : undefined;
    });
    expect(await deadLettersOf('flaky')).toEqual([]);
  });

  test('given a handler that always fails, when its last delivery fails, then it is parked', async () => {
    // Given a handler that always fails, with three deliveries allowed
    let calls = 0;
    await consume('broken', async () => {
      calls++;
      throw new Error('provider down');
    });

    // When a message arrives
    await send('broken', { n: 1 });

    // Then it is parked after its third delivery, with its last error, and not delivered again
    const [entry] = await waitFor(async () => {
      const entries = await deadLettersOf('broken');
      return entries.length > 0 ? entries : undefined;
    });
    expect(entry).toMatchObject({ attempts: 3, lastError: 'Error: provider down' });
    expect(parked.filter((p) => p.durable === 'broken')).toEqual([
      { durable: 'broken', attempt: 3 },
    ]);
    await sleep(200);
    expect(calls).toBe(3);
  });

  test('given a handler that says Unretryable, when it fails, then it is parked at once', async () => {
    // Given a handler that cannot read its message
    let calls = 0;
    await consume('unreadable', async () => {
      calls++;
      throw new Unretryable('repository missing');
    });

    // When a message arrives
    await send('unreadable', { n: 1 });

    // Then it is parked after its first delivery, never retried
    const [entry] = await waitFor(async () => {
      const entries = await deadLettersOf('unreadable');
      return entries.length > 0 ? entries : undefined;
    });
    expect(entry).toMatchObject({ attempts: 1, lastError: 'Unretryable: repository missing' });
    expect(calls).toBe(1);
    expect(retried.filter((r) => r.durable === 'unreadable')).toEqual([]);
  });

  test('given no prefetch and one place, when a job runs, then the next stays on the server for any replica', async () => {
    // Given a consumer with one place that pulls only for a free place, running a job
    let release: () => void = () => undefined;
    const done: number[] = [];
    await consume(
      'jobs',
      async (msg) => {
        if (done.length === 0) await new Promise<void>((resolve) => (release = resolve));
        done.push(msg.seq);
      },
      { concurrency: 1, prefetch: 0 },
    );
    await send('jobs', { n: 1 });
    await send('jobs', { n: 2 });
    await waitFor(async () => {
      const info = await bus.jsm.consumers.info(WORK.name, 'jobs');
      return info.num_ack_pending === 1 ? true : undefined;
    });

    // When the job is still running
    await sleep(200);

    // Then only it is handed out; the next one waits on the server, and runs once the place frees
    const info = await bus.jsm.consumers.info(WORK.name, 'jobs');
    expect({ handedOut: info.num_ack_pending, waiting: info.num_pending }).toEqual({
      handedOut: 1,
      waiting: 1,
    });
    release();
    await waitFor(() => (done.length === 2 ? true : undefined), { what: 'both jobs' });
  });

  test('given a running message, when the consumer stops, then it is interrupted and handed back at once', async () => {
    // Given a long job that keeps its message alive and stops when told to
    const started: JsMsg[] = [];
    let interrupted = false;
    const first = await consume(
      'long',
      async (msg, signal) => {
        started.push(msg);
        await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
        interrupted = true;
        signal.throwIfAborted();
      },
      { keepAlive: true, ackWaitMs: 30_000 },
    );
    await send('long', { n: 1 });
    await waitFor(() => (started.length === 1 ? true : undefined), { what: 'the job to start' });

    // When that replica stops and another one takes over
    const stopping = Date.now();
    await first.stop();
    const again: number[] = [];
    await consume('long', async (msg) => {
      again.push(msg.seq);
    });

    // Then the job was interrupted, and runs again well before its 30 s ack wait; nothing parked
    expect(interrupted).toBe(true);
    await waitFor(() => (again.length === 1 ? true : undefined), { what: 'the job again' });
    expect(Date.now() - stopping).toBeLessThan(10_000);
    expect(again).toEqual([started[0]!.seq]);
    expect(await deadLettersOf('long')).toEqual([]);
  });
});
