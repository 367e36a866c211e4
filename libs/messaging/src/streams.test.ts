import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { connect, nanos, type NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import type { StreamDefinition } from '#libs/contracts/src/index.js';
import { NatsServerFixture } from '#libs/testing/src/index.js';
import { ensureStreams } from './index.js';

const DAY = 24 * 60 * 60 * 1000;
const definition = (name: string, subjects: string[]): StreamDefinition => ({
  name,
  subjects,
  retention: 'limits',
  duplicateWindowMs: 60_000,
  limits: { maxAgeMs: 7 * DAY, maxBytes: 1024 ** 3 },
});

describe('stream limits: defaults at creation, an operator’s settings kept', () => {
  let nats: NatsServerFixture;
  let nc: NatsConnection;
  let jsm: JetStreamManager;

  beforeAll(async () => {
    nats = await NatsServerFixture.start();
    nc = await connect({ servers: nats.url });
    jsm = await jetstreamManager(nc);
  });

  afterAll(async () => {
    await nc.close();
    await nats.dispose();
  });

  test('a missing stream is created with its limits, a deployment’s override taking precedence', async () => {
    // Given two definitions, one of which the deployment overrides
    const plain = definition('PLAIN', ['plain.>']);
    const tuned = definition('TUNED', ['tuned.>']);

    // When they are ensured
    await ensureStreams(jsm, [plain, tuned], { limits: { TUNED: { maxBytes: 5_000_000 } } });

    // Then each has its limits
    const a = (await jsm.streams.info('PLAIN')).config;
    expect(a.max_age).toBe(nanos(7 * DAY));
    expect(a.max_bytes).toBe(1024 ** 3);
    const b = (await jsm.streams.info('TUNED')).config;
    expect(b.max_age).toBe(nanos(7 * DAY));
    expect(b.max_bytes).toBe(5_000_000);
  });

  test('a start does not put the defaults back over what an operator changed', async () => {
    // Given a stream whose limits an operator raised by hand
    const stream = definition('OPERATED', ['operated.>']);
    await ensureStreams(jsm, [stream]);
    const info = await jsm.streams.info('OPERATED');
    await jsm.streams.update('OPERATED', {
      ...info.config,
      max_age: nanos(30 * DAY),
      max_bytes: 2 * 1024 ** 3,
    });

    // When a service starts again with a version that also needs one more subject
    await ensureStreams(jsm, [{ ...stream, subjects: ['operated.>', 'extra.>'] }]);

    // Then the operator's limits stand, and only the missing subject was added
    const after = (await jsm.streams.info('OPERATED')).config;
    expect(after.max_age).toBe(nanos(30 * DAY));
    expect(after.max_bytes).toBe(2 * 1024 ** 3);
    expect(after.subjects).toEqual(['operated.>', 'extra.>']);
  });
});
