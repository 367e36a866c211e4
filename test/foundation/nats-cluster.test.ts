import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { Streams } from '#libs/contracts/src/index.js';
import { startService, type RunningService } from '#libs/service-kit/src/index.js';
import { NatsClusterFixture, PostgresFixture, waitFor } from '#libs/testing/src/index.js';
import { apiGateway } from '../../apps/api-gateway/src/service.js';
import { integrationService } from '../../apps/integration-service/src/service.js';
import { scannerService } from '../../apps/scanner-service/src/service.js';
import { client, createTeam, type Team } from '../support/gateway-api.js';
import { serviceEnv } from '../support/service-env.js';

/**
 * The stack on a three-node JetStream cluster, streams at three replicas: losing the node the
 * services are connected to costs a moment, never a command or an event.
 */
describe('a three-node NATS cluster', () => {
  let cluster: NatsClusterFixture;
  let db: PostgresFixture;
  const services: RunningService[] = [];
  let gateway: RunningService;
  let teams: Team[];

  beforeAll(async () => {
    cluster = await NatsClusterFixture.start();
    db = await PostgresFixture.create('cluster');
    const env = serviceEnv(cluster, db, {
      NATS_STREAM_REPLICAS: '3',
      GITHUB_CONNECT_REQUIRES_INSTALL_FLOW: 'false',
    });
    for (const spec of [integrationService, scannerService, apiGateway]) {
      services.push(await startService(spec as any, env));
    }
    gateway = services[2]!;
    teams = [];
    for (let i = 0; i < 4; i++) teams.push(await createTeam(gateway.infra.dataSource, `team${i}`));
  }, 120_000);

  afterAll(async () => {
    for (const service of services.reverse()) await service.close();
    await cluster.dispose();
    await db.dispose();
  });

  test('streams are created at three replicas', async () => {
    const info = await gateway.infra.bus.jsm.streams.info(Streams.integrationEvents.name);
    expect(info.config.num_replicas).toBe(3);
    expect(info.cluster?.replicas ?? []).toHaveLength(2);
  });

  test('killing the node the services use, under traffic: commands and events keep flowing', async () => {
    // Given steady connects and disconnects across four workspaces
    const call = client(gateway.url);
    const statuses: number[] = [];
    const connected = new Map<string, boolean>();
    let stop = false;
    let afterKill = 0;
    let killed = false;
    const traffic = (async () => {
      for (let i = 0; !stop; i++) {
        const team = teams[i % teams.length]!;
        const path = connected.get(team.workspaceId) ? 'disconnect' : 'connect';
        const r = await call('POST', `/api/integrations/github/${path}`, {
          token: team.admin,
          body:
            path === 'connect' ? { installationId: String(1000 + i), accountLogin: 'acme' } : {},
        });
        statuses.push(r.status);
        // 409 already connected / 404 not connected: an earlier answer was lost, not the write.
        if ([200, 201, 409].includes(r.status)) connected.set(team.workspaceId, path === 'connect');
        if (r.status === 404) connected.set(team.workspaceId, false);
        if (r.status < 300 && killed) afterKill++;
      }
    })();
    await waitFor(() => (statuses.filter((s) => s < 300).length >= 10 ? true : undefined), {
      what: 'traffic to flow',
    });

    // When the node the gateway's bus is connected to dies
    const port = gateway.infra.bus.nc.info?.port;
    const victim = cluster.nodes.find((n) => n.port === port)!;
    expect(victim).toBeDefined();
    await victim.stop();
    killed = true;

    // Then commands keep succeeding through the other two nodes
    await waitFor(() => (afterKill >= 20 ? true : undefined), {
      // Usually under a second; up to tens of seconds when the node led the stream on a busy
      // machine (a new leader is elected first).
      timeoutMs: 100_000,
      what: '20 commands to succeed after the kill',
    });
    stop = true;
    await traffic;
    expect(statuses.filter((s) => s >= 500 && s !== 503)).toEqual([]);
    expect(gateway.infra.bus.nc.info?.port).not.toBe(port);

    // And the read model shows each workspace as its last successful command left it
    for (const team of teams) {
      const listed = await call('GET', '/api/integrations?status=all', { token: team.viewer });
      const github = (listed.body.integrations as Array<{ provider: string; status: string }>).find(
        (i) => i.provider === 'github',
      );
      const expected = connected.get(team.workspaceId) ? 'connected' : 'disconnected';
      expect(github?.status ?? 'disconnected').toBe(expected);
    }
  }, 180_000);
});
