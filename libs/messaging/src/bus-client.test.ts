import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { createEnvelope, fail, ok } from '#libs/contracts/src/index.js';
import { busRequestDuration } from '#libs/observability/src/metrics/bus.js';
import { NatsServerFixture } from '#libs/testing/src/index.js';
import { BusClient, BusRequestError } from './bus-client.js';
import { decodeRequest, encodeReply } from './nest-wire.js';

/** Requests counted so far for `subject` with `outcome` (bus_request_duration_seconds_count). */
async function counted(subject: string, outcome: string): Promise<number> {
  const { values } = await busRequestDuration.get();
  return (
    values.find(
      (v) =>
        v.metricName === 'bus_request_duration_seconds_count' &&
        v.labels.subject === subject &&
        v.labels.outcome === outcome,
    )?.value ?? 0
  );
}

describe('the bus client: every request ends in one outcome, counted by subject', () => {
  let nats: NatsServerFixture;
  let nc: NatsConnection;
  let bus: BusClient;
  const envelope = () => createEnvelope({ type: 'Probe', data: {}, workspaceId: 'w1' });

  beforeAll(async () => {
    nats = await NatsServerFixture.start();
    nc = await connect({ servers: nats.url });
    bus = new BusClient(nc);
    // A handler as Nest frames it: `ok` answers, `refuse` answers a not_found, `silent` never does.
    nc.subscribe('probe.ok', {
      callback: (_e, msg) => {
        msg.respond(encodeReply(decodeRequest(msg.string()), ok({})));
      },
    });
    nc.subscribe('probe.refuse', {
      callback: (_e, msg) => {
        msg.respond(
          encodeReply(decodeRequest(msg.string()), fail('not_found', 'missing', 'no such thing')),
        );
      },
    });
    nc.subscribe('probe.silent', { callback: () => undefined });
    await nc.flush();
  });

  afterAll(async () => {
    await nc.close();
    await nats.dispose();
  });

  test('given a handler that answers, then the outcome is ok', async () => {
    const before = await counted('probe.ok', 'ok');
    expect((await bus.request('probe.ok', envelope())).ok).toBe(true);
    expect(await counted('probe.ok', 'ok')).toBe(before + 1);
  });

  test("given a handler that refuses, then the outcome is the refusal's kind", async () => {
    const before = await counted('probe.refuse', 'not_found');
    const reply = await bus.request('probe.refuse', envelope());
    expect(reply).toMatchObject({ ok: false, error: { kind: 'not_found' } });
    expect(await counted('probe.refuse', 'not_found')).toBe(before + 1);
  });

  test('given nobody listening, then the request fails as no_responders, counted so', async () => {
    const before = await counted('probe.nobody', 'no_responders');
    await expect(bus.request('probe.nobody', envelope())).rejects.toMatchObject({
      reason: 'no_responders',
    });
    expect(await counted('probe.nobody', 'no_responders')).toBe(before + 1);
  });

  test('given a handler that never answers, then the request times out, counted so', async () => {
    const before = await counted('probe.silent', 'timeout');
    const request = bus.request('probe.silent', envelope(), 200);
    await expect(request).rejects.toBeInstanceOf(BusRequestError);
    await expect(request).rejects.toMatchObject({ reason: 'timeout' });
    expect(await counted('probe.silent', 'timeout')).toBe(before + 1);
  });
});
