import { randomBytes } from 'node:crypto';
import { freePort, NatsClusterFixture, PostgresCluster } from '#libs/testing/src/index.js';
import { Supervisor } from '../../scripts/stack/supervisor.js';
import { startGithubSimulator } from '../../tools/github-simulator/src/index.js';
import { spawnService, untilReady, type Service } from '../support/services.js';

/** One running service process, kept up by the supervisor `npm start` uses. */
export interface SupervisedService {
  /** e.g. `api-gateway#2`. */
  name: string;
  service: Service;
  url: string;
  supervisor: Supervisor;
}

export interface FaultStack {
  pg: PostgresCluster;
  databaseUrl: string;
  nats: NatsClusterFixture;
  github: Awaited<ReturnType<typeof startGithubSimulator>>;
  webhookSecret: string;
  services: SupervisedService[];
  gateways: string[];
  close(): Promise<void>;
}

/** Two gateways, the integration service, two scanners: what a fault may take away. */
const LAYOUT: Array<[Service, number]> = [
  ['integration-service', 1],
  ['scanner-service', 2],
  ['api-gateway', 2],
];

/**
 * The stack the fault bench breaks: its own PostgreSQL cluster (killed and restarted; never the
 * machine's shared server), a three-node NATS cluster with streams at three replicas, the GitHub
 * simulator, and the services as built processes, each restarted after a crash with the backoff
 * of `npm start` (scripts/stack/supervisor.ts).
 */
export async function startFaultStack(options: {
  repos: number;
  latencyMs: number;
  workspaces: number;
  scanConcurrency: number;
}): Promise<FaultStack> {
  const pg = await PostgresCluster.start();
  const databaseUrl = await pg.createDatabase('faults');
  const nats = await NatsClusterFixture.start();
  const github = await startGithubSimulator({
    repos: options.repos,
    latencyMs: options.latencyMs,
    seed: 13,
    extraInstallations: options.workspaces,
  });
  const webhookSecret = randomBytes(20).toString('hex');
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    NATS_URL: nats.url,
    NATS_STREAM_REPLICAS: '3',
    DATABASE_URL: databaseUrl,
    LOG_LEVEL: 'error',
    CREDENTIALS_MASTER_KEY: randomBytes(32).toString('base64'),
    GATEWAY_SIGNING_KEY: randomBytes(32).toString('base64'),
    GITHUB_API_URL: github.url,
    GITHUB_APP_ID: String(github.appId),
    GITHUB_APP_PRIVATE_KEY_PATH: github.privateKeyPath,
    GITHUB_WEBHOOK_SECRET: webhookSecret,
    GITHUB_CONNECT_REQUIRES_INSTALL_FLOW: 'false',
    GITHUB_CONCURRENCY: String(options.scanConcurrency),
    // A killed scanner's job goes to the other replica after this long.
    SCAN_JOB_ACK_WAIT_MS: '5000',
    // One client address stands for many; the limits are not what is measured here.
    RATE_LIMITS_ENABLED: 'false',
    WEBHOOK_MAX_IN_FLIGHT: '256',
  };
  const services: SupervisedService[] = [];
  for (const [service, replicas] of LAYOUT) {
    for (let i = 1; i <= replicas; i++) {
      const port = await freePort();
      const name = replicas > 1 ? `${service}#${i}` : service;
      const supervisor = new Supervisor({
        name,
        say: (line) => process.stderr.write(`[faults] ${line}\n`),
        spawn: () => spawnService(service, env, port),
      });
      supervisor.start();
      const url = `http://127.0.0.1:${port}`;
      // The first replica migrates; the rest wait for it, so start them one by one.
      await untilReady(`${url}/health/ready`, supervisor.process!, { timeoutMs: 120_000 });
      services.push({ name, service, url, supervisor });
    }
  }
  return {
    pg,
    databaseUrl,
    nats,
    github,
    webhookSecret,
    services,
    gateways: services.filter((s) => s.service === 'api-gateway').map((s) => s.url),
    async close() {
      await Promise.all(services.map((s) => s.supervisor.stop()));
      await github.close();
      await nats.dispose();
      await pg.dispose();
    },
  };
}
