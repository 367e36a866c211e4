import { randomUUID } from 'node:crypto';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstream } from '@nats-io/jetstream';
import { BusClient } from '#libs/messaging/src/index.js';
import {
  createEnvelope,
  eventSubject,
  IntegrationEventTypes,
  IntegrationSubjects,
  ScannerSubjects,
  type Envelope,
  type Reply,
} from '#libs/contracts/src/index.js';
import { startService, type RunningService } from '#libs/service-kit/src/index.js';
import { NatsServerFixture, PostgresFixture, waitFor } from '#libs/testing/src/index.js';
import {
  startGithubSimulator,
  type GithubSimulator,
  type GithubSimulatorOptions,
} from '../../../tools/github-simulator/src/index.js';
import { scannerService } from '../../../apps/scanner-service/src/service.js';

/**
 * A scanner-service against a private nats-server, a fresh database and the GitHub simulator, with
 * a bus client that plays the integration service (publishes `IntegrationConnected`) and the
 * gateway (sends scanner commands, listens to scanner events).
 */
export interface ScannerHarness {
  nats: NatsServerFixture;
  db: PostgresFixture;
  sim: GithubSimulator;
  env: Record<string, string>;
  nc: NatsConnection;
  scanners: RunningService[];
  events: Envelope<string, any>[];
  startScanner(extraEnv?: Record<string, string>): Promise<RunningService>;
  connectGithub(workspaceId: string): Promise<void>;
  request<T>(subject: string, workspaceId: string, data?: unknown): Promise<Reply<T>>;
  eventsOf(workspaceId: string, type?: string): Envelope<string, any>[];
  waitForEvent(
    workspaceId: string,
    type: string,
    timeoutMs?: number,
  ): Promise<Envelope<string, any>>;
  close(): Promise<void>;
}

export async function startScannerHarness(
  simOptions: GithubSimulatorOptions,
  extraEnv: Record<string, string> = {},
  { inProcessScanner = true } = {},
): Promise<ScannerHarness> {
  const nats = await NatsServerFixture.start();
  const db = await PostgresFixture.create('scanner');
  const sim = await startGithubSimulator(simOptions);
  const env: Record<string, string> = {
    NATS_URL: nats.url,
    DATABASE_URL: db.url,
    PORT: '0',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    GITHUB_API_URL: sim.url,
    GITHUB_APP_ID: String(sim.appId),
    GITHUB_APP_PRIVATE_KEY_PATH: sim.privateKeyPath,
    GITHUB_RETRY_BASE_MS: '20',
    SCAN_JOB_RETRY_DELAY_MS: '200',
    ...extraEnv,
  };
  const scanners: RunningService[] = [];
  const startScanner = async (more: Record<string, string> = {}) => {
    const service = await startService(scannerService as any, { ...env, ...more });
    scanners.push(service);
    return service;
  };
  if (inProcessScanner) await startScanner();
  const nc = await connect({ servers: nats.url });
  const events: Envelope<string, any>[] = [];
  nc.subscribe(`${ScannerSubjects.events}.>`, {
    callback: (_err, msg) => {
      events.push(msg.json<Envelope<string, any>>());
    },
  });
  const js = jetstream(nc);

  const harness: ScannerHarness = {
    nats,
    db,
    sim,
    env,
    nc,
    scanners,
    events,
    startScanner,
    async connectGithub(workspaceId) {
      const event = createEnvelope({
        type: IntegrationEventTypes.connected,
        workspaceId,
        actor: 'test',
        data: {
          integrationId: randomUUID(),
          provider: 'github',
          kind: 'source_control',
          profileName: 'GitHub',
          config: { installationId: String(sim.installationId), accountLogin: sim.org.login },
          settings: { broker_enabled: false },
          hasCredentials: false,
          firstConnect: true,
          connectedAt: new Date().toISOString(),
        },
      });
      await js.publish(
        eventSubject(IntegrationSubjects.events, IntegrationEventTypes.connected),
        JSON.stringify(event),
        { msgID: event.id },
      );
      await waitFor(
        async () => {
          const rows = await db.query(
            `SELECT 1 FROM scanner.installations WHERE workspace_id = $1 AND connected`,
            [workspaceId],
          );
          return rows.length ? true : undefined;
        },
        { what: 'the scanner to record the installation' },
      );
    },
    async request<T>(subject: string, workspaceId: string, data: unknown = {}) {
      const envelope = createEnvelope({ type: subject, data, workspaceId, actor: 'test' });
      return new BusClient(nc).request<T>(subject, envelope, 10_000);
    },
    eventsOf(workspaceId, type) {
      return events.filter((e) => e.workspaceId === workspaceId && (!type || e.type === type));
    },
    waitForEvent(workspaceId, type, timeoutMs = 20_000) {
      return waitFor(() => harness.eventsOf(workspaceId, type)[0], {
        timeoutMs,
        what: `${type} for ${workspaceId}`,
      });
    },
    async close() {
      await nc.close().catch(() => undefined);
      for (const scanner of scanners) await scanner.close().catch(() => undefined);
      await sim.close();
      await nats.dispose();
      await db.dispose();
    },
  };
  return harness;
}
