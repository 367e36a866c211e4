import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createDataSource } from '#libs/database/src/index.js';
import { freePort, NatsServerFixture, PostgresCluster, waitFor } from '#libs/testing/src/index.js';
import { client, createTeam, type Team } from '../support/gateway-api.js';
import { spawnService, type ServiceName, type ServiceProcess } from '../support/service-process.js';
import { serviceEnv } from '../support/service-env.js';

const readiness = (url: string) =>
  fetch(`${url}/health/ready`).then(
    (r) => r.status,
    () => 0,
  );

/**
 * The stack's PostgreSQL killed outright (SIGKILL to the server and its backends) and started
 * again while the services run: on the stack's own cluster, never the machine's shared server.
 */
describe('the stack when PostgreSQL is killed and restarted', () => {
  let pgCluster: PostgresCluster;
  let nats: NatsServerFixture;
  const services: Array<{ name: ServiceName; url: string; process: ServiceProcess }> = [];
  let gateway: string;
  let team: Team;

  beforeAll(async () => {
    pgCluster = await PostgresCluster.start();
    const databaseUrl = await pgCluster.createDatabase('stack');
    nats = await NatsServerFixture.start();
    const env = serviceEnv(
      nats,
      { url: databaseUrl },
      { LOG_LEVEL: 'warn', GITHUB_CONNECT_REQUIRES_INSTALL_FLOW: 'false' },
    );
    for (const name of ['integration-service', 'scanner-service', 'api-gateway'] as const) {
      const port = await freePort();
      const url = `http://127.0.0.1:${port}`;
      const process = spawnService(name, { ...env, PORT: String(port) });
      services.push({ name, url, process });
      await waitFor(async () => ((await readiness(url)) === 200 ? true : undefined), {
        timeoutMs: 60_000,
        what: `${name} to be ready:\n${process.output()}`,
      });
    }
    gateway = services.at(-1)!.url;
    const dataSource = createDataSource({
      url: databaseUrl,
      schema: 'gateway',
      migrations: [],
      applicationName: 'postgres-loss-test',
    });
    await dataSource.initialize();
    team = await createTeam(dataSource, 'acme');
    await dataSource.destroy();
  }, 180_000);

  afterAll(async () => {
    for (const { process } of services.reverse()) {
      if (process.child.exitCode === null) {
        process.child.kill('SIGTERM');
        await process.exited;
      }
    }
    await nats?.dispose();
    await pgCluster?.dispose();
  });

  test('services stay up, come back ready, and no acknowledged write is lost', async () => {
    // Given writes the stack acknowledged
    const call = client(gateway);
    const slack = await call('POST', '/api/integrations/slack/connect', {
      token: team.admin,
      body: { botToken: 'xoxb-before-the-loss' },
    });
    expect(slack.status).toBe(201);
    const rule = await call('POST', '/api/rules', {
      token: team.member,
      body: {
        name: 'Pushes to Slack',
        trigger: { event: 'push' },
        actions: [
          { provider: 'slack', method: 'send_message', params: { channel: '#eng', text: 'x' } },
        ],
      },
    });
    expect(rule.status).toBe(201);

    // When PostgreSQL dies with every backend
    await pgCluster.kill();

    // Then the gateway says it is not ready, and a write is refused rather than half done
    await waitFor(async () => ((await readiness(gateway)) === 503 ? true : undefined), {
      timeoutMs: 30_000,
      what: 'the gateway to report not ready',
    });
    const during = await call('POST', '/api/integrations/github/connect', {
      token: team.admin,
      body: { installationId: '7', accountLogin: 'acme' },
    });
    expect(during.status).toBeGreaterThanOrEqual(500);

    // When PostgreSQL is started again (crash recovery)
    await pgCluster.resume();

    // Then every service is the same process as before, ready again
    for (const { name, url, process } of services) {
      await waitFor(async () => ((await readiness(url)) === 200 ? true : undefined), {
        timeoutMs: 60_000,
        what: `${name} to be ready again:\n${process.output()}`,
      });
      expect(process.child.exitCode).toBeNull();
    }

    // And the next command works, and the writes acknowledged before the loss are all there
    const disconnected = await call('POST', '/api/integrations/slack/disconnect', {
      token: team.admin,
    });
    expect(disconnected.status).toBe(200);
    const listed = await call('GET', '/api/integrations?status=all', { token: team.viewer });
    expect(
      (listed.body.integrations as Array<{ provider: string; status: string }>)
        .filter((i) => i.provider === 'slack')
        .map((i) => i.status),
    ).toEqual(['disconnected']);
    const stored = await call('GET', `/api/rules/${rule.body.rule.id}`, { token: team.viewer });
    expect(stored.status).toBe(200);
    expect(stored.body.rule.name).toBe('Pushes to Slack');
  }, 240_000);
});
