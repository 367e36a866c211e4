import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { freePort, NatsServerFixture, PostgresFixture, waitFor } from '#libs/testing/src/index.js';
import { spawnService, type ServiceName } from '../support/service-process.js';
import { serviceEnv } from '../support/service-env.js';

const SERVICES: ServiceName[] = ['integration-service', 'scanner-service', 'api-gateway'];

describe('the runtime', () => {
  test('is Node.js 24 LTS, from node_modules/.bin, for the runner and the services it spawns', () => {
    expect(process.version).toMatch(/^v24\./);
    expect(process.execPath).toContain('node_modules');
  });
});

describe('a service process', () => {
  let nats: NatsServerFixture;
  let db: PostgresFixture;
  let env: Record<string, string>;

  beforeAll(async () => {
    nats = await NatsServerFixture.start();
    db = await PostgresFixture.create('process');
    // The drain tests read the service's own log lines.
    env = serviceEnv(nats, db, { LOG_LEVEL: 'info' });
  });

  afterAll(async () => {
    await nats.dispose();
    await db.dispose();
  });

  test.each(SERVICES)('%s stops with one line naming an unreachable DATABASE_URL', async (name) => {
    const service = spawnService(name, {
      ...env,
      DATABASE_URL: 'postgres://app:hunter2@127.0.0.1:1/nowhere',
    });
    expect(await service.exited).toBe(1);
    const lines = service.output().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^${name}: DATABASE_URL: cannot connect to postgres://`));
    expect(lines[0]).not.toContain('hunter2');
  });

  test.each(SERVICES)('%s stops with one line naming an unreachable NATS_URL', async (name) => {
    const service = spawnService(name, {
      ...env,
      NATS_URL: `nats://127.0.0.1:${await freePort()}`,
    });
    expect(await service.exited).toBe(1);
    expect(service.output().trim().split('\n')).toEqual([
      expect.stringMatching(new RegExp(`^${name}: NATS_URL: cannot connect to nats://`)),
    ]);
  });

  test('a malformed variable is named in one line before anything connects', async () => {
    const service = spawnService('integration-service', { ...env, NATS_URL: 'localhost:4222' });
    expect(await service.exited).toBe(1);
    expect(service.output().trim()).toBe(
      'integration-service: configuration error: NATS_URL is invalid: expected a URL like nats://127.0.0.1:4222',
    );
  });

  test.each(['SIGTERM', 'SIGINT'] as const)(
    'on %s a ready service drains and exits 0',
    async (signal) => {
      const port = await freePort();
      const service = spawnService('integration-service', { ...env, PORT: String(port) });
      await waitFor(
        async () => ((await fetch(`http://127.0.0.1:${port}/health/ready`)).ok ? true : undefined),
        { timeoutMs: 15_000, what: 'the service to be ready' },
      );
      service.child.kill(signal);
      expect(await service.exited).toBe(0);
      const logs = service
        .output()
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as { msg: string; service: string });
      expect(logs.every((line) => line.service === 'integration-service')).toBe(true);
      expect(logs.at(-1)!.msg).toBe('stopped');
    },
  );
});
