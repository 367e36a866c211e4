import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { startService, type RunningService } from '#libs/service-kit/src/index.js';
import { NatsServerFixture, PostgresFixture, waitFor } from '#libs/testing/src/index.js';
import { integrationService } from '../../apps/integration-service/src/service.js';
import { scannerService } from '../../apps/scanner-service/src/service.js';
import { apiGateway } from '../../apps/api-gateway/src/service.js';
import { serviceEnv } from '../support/service-env.js';

async function readiness(url: string) {
  const response = await fetch(`${url}/health/ready`);
  return { status: response.status, body: (await response.json()) as Record<string, any> };
}

describe('readiness follows the bus and the downstream services', () => {
  let nats: NatsServerFixture;
  let db: PostgresFixture;
  const services: RunningService[] = [];

  beforeAll(async () => {
    nats = await NatsServerFixture.start();
    db = await PostgresFixture.create('foundation');
    const env = serviceEnv(nats, db);
    for (const spec of [integrationService, scannerService, apiGateway]) {
      services.push(await startService(spec as any, env));
    }
  });

  afterAll(async () => {
    for (const service of services.reverse()) await service.close();
    await nats.dispose();
    await db.dispose();
  });

  test('every service is live and ready, and each runs in its own schema', async () => {
    for (const service of services) {
      expect((await fetch(`${service.url}/health/live`)).status).toBe(200);
      const { status, body } = await readiness(service.url);
      expect(status).toBe(200);
      expect(body.details.postgres.status).toBe('up');
      expect(body.details.nats.status).toBe('up');
      expect(body.details.jetstream.status).toBe('up');
    }
    const gateway = await readiness(services[2]!.url);
    expect(gateway.body.details['integration-service'].status).toBe('up');
    expect(gateway.body.details['scanner-service'].status).toBe('up');
    const schemas = await db.query<{ table_schema: string }>(
      `SELECT DISTINCT table_schema FROM information_schema.tables WHERE table_name = 'migrations' ORDER BY 1`,
    );
    expect(schemas.map((s) => s.table_schema)).toEqual(['gateway', 'integration', 'scanner']);
  });

  test('each projection shows its lag and parked count in readiness, and a parked event does not fail it', async () => {
    // Given the stack is ready, with every projection caught up
    const gateway = services[2]!;
    const before = await readiness(gateway.url);
    expect(before.body.details.projections.status).toBe('up');
    for (const name of [
      'gateway-integration-events',
      'gateway-rest-deletions',
      'gateway-scanner-events',
      'gateway-github-installations',
    ]) {
      expect(before.body.details.projections[name]).toEqual(
        expect.objectContaining({ lag: expect.any(Number), parked: 0 }),
      );
    }
    const scanner = await readiness(services[1]!.url);
    expect(scanner.body.details.projections['scanner-integrations']).toMatchObject({ parked: 0 });

    // When a message no projection can read lands on SCANNER_EVENTS
    await gateway.infra.bus.js.publish('scanner.evt.garbage', 'not an envelope');

    // Then the scanner-events projection parks it and moves on; readiness stays 200 and says so
    const after = await waitFor(
      async () => {
        const r = await readiness(gateway.url);
        const status = r.body.details.projections['gateway-scanner-events'];
        return status.parked === 1 && status.lag === 0 ? r : undefined;
      },
      { what: 'the projection to report the parked message' },
    );
    expect(after.status).toBe(200);
    expect(after.body.details.projections['gateway-scanner-events']).toMatchObject({
      state: 'projecting',
      lag: 0,
      parked: 1,
    });
  });

  test('readiness answers 503 naming nats while the bus is gone, and 200 once it is back', async () => {
    await nats.stop();
    const down = await waitFor(
      async () => {
        const r = await readiness(services[0]!.url);
        return r.status === 503 ? r : undefined;
      },
      { what: 'readiness to fail' },
    );
    expect(down.body.error.nats.status).toBe('down');
    expect(down.body.details.postgres.status).toBe('up');

    await nats.resume();
    for (const service of services) {
      await waitFor(
        async () => ((await readiness(service.url)).status === 200 ? true : undefined),
        {
          timeoutMs: 15_000,
          what: `${service.name} to be ready again`,
        },
      );
    }
  });

  test('the gateway names a downstream service that stops answering', async () => {
    const scanner = services[1]!;
    await scanner.close();
    const { status, body } = await readiness(services[2]!.url);
    expect(status).toBe(503);
    expect(body.error['scanner-service'].status).toBe('down');
    expect(body.details['integration-service'].status).toBe('up');
  });
});
