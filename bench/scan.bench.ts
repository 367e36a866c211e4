/**
 * `npm run bench:scan -- --repos 1000 --latency-ms 50` (and `--repos 10000`): one full scan of a
 * generated org by a scanner-service process against the GitHub simulator, then the same org
 * again with a warm cache. Prints wall time to `completed`, GitHub requests and rate-limit points
 * per repository, the scanner's peak RSS, and the warm rescan's points as a fraction of the first.
 */
import { randomUUID } from 'node:crypto';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { connect } from '@nats-io/transport-node';
import { jetstream } from '@nats-io/jetstream';
import { BusClient } from '#libs/messaging/src/index.js';
import {
  createEnvelope,
  eventSubject,
  IntegrationEventTypes,
  IntegrationSubjects,
  ScannerEventTypes,
  ScannerSubjects,
  type Envelope,
} from '#libs/contracts/src/index.js';
import { freePort, NatsServerFixture, PostgresFixture, waitFor } from '#libs/testing/src/index.js';
import { startGithubSimulator, type SimulatorStats } from '../tools/github-simulator/src/index.js';

const { values } = parseArgs({
  options: {
    repos: { type: 'string', default: '1000' },
    'latency-ms': { type: 'string', default: '0' },
    concurrency: { type: 'string', default: '24' },
    seed: { type: 'string', default: '1' },
    /** e.g. `--max-old-space-size=160`, to see how much of the peak is uncollected garbage. */
    'scanner-node-options': { type: 'string', default: '' },
  },
});
const repos = Number(values.repos);
const latencyMs = Number(values['latency-ms']);

const nats = await NatsServerFixture.start();
const db = await PostgresFixture.create('bench_scan');
const sim = await startGithubSimulator({ repos, latencyMs, seed: Number(values.seed) });
const healthPort = await freePort();
// Node options for the scanner go on its command line (some, like --cpu-prof, are refused in NODE_OPTIONS).
const scannerArgs = (values['scanner-node-options'] ?? '').split(' ').filter(Boolean);
const scanner = spawn(
  process.execPath,
  [...scannerArgs, resolve('dist/apps/scanner-service/src/main.js')],
  {
    env: {
      PATH: process.env.PATH ?? '',
      NATS_URL: nats.url,
      DATABASE_URL: db.url,
      PORT: String(healthPort),
      LOG_LEVEL: 'warn',
      GITHUB_API_URL: sim.url,
      GITHUB_APP_ID: String(sim.appId),
      GITHUB_APP_PRIVATE_KEY_PATH: sim.privateKeyPath,
      GITHUB_CONCURRENCY: values.concurrency,
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  },
);
/** CPU seconds the scanner process has used (user + system). */
const cpuSeconds = () => {
  const fields = readFileSync(`/proc/${scanner.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
};
const peakRssMb = () => {
  const status = readFileSync(`/proc/${scanner.pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)![1]) / 1024;
};

try {
  await waitFor(
    async () =>
      (await fetch(`http://127.0.0.1:${healthPort}/health/ready`)).ok ? true : undefined,
    { timeoutMs: 30_000, what: 'the scanner to be ready' },
  );
  const nc = await connect({ servers: nats.url });
  const events: Envelope<string, any>[] = [];
  // Only the completions: parsing each finding's event would slow the simulator, which shares
  // this process.
  nc.subscribe(eventSubject(ScannerSubjects.events, ScannerEventTypes.scanCompleted), {
    callback: (_e, msg) => {
      events.push(msg.json<Envelope<string, any>>());
    },
  });
  const workspaceId = randomUUID();
  const connected = createEnvelope({
    type: IntegrationEventTypes.connected,
    workspaceId,
    data: {
      integrationId: randomUUID(),
      provider: 'github',
      config: { installationId: String(sim.installationId), accountLogin: sim.org.login },
    },
  });
  await jetstream(nc).publish(
    eventSubject(IntegrationSubjects.events, IntegrationEventTypes.connected),
    JSON.stringify(connected),
    { msgID: connected.id },
  );
  const idleRssMb = peakRssMb();
  const discoveryStarted = Date.now();
  await waitFor(
    async () => {
      const [row] = await db.query(`SELECT count(*)::int AS n FROM scanner.repos`);
      return row!.n === repos ? true : undefined;
    },
    { timeoutMs: 120_000, intervalMs: 100, what: 'discovery' },
  );
  const discoveryMs = Date.now() - discoveryStarted;

  const scan = async (label: string) => {
    sim.resetStats();
    const envelope = createEnvelope({ type: ScannerSubjects.scanOrg, data: {}, workspaceId });
    const started = Date.now();
    const reply = await new BusClient(nc).request<{ scanId: string }>(
      ScannerSubjects.scanOrg,
      envelope,
      10_000,
    );
    if (!reply.ok) throw new Error(`scan-org refused: ${reply.error.message}`);
    const scanId = reply.value.scanId;
    const completed = await waitFor(
      () =>
        events.find((e) => e.type === ScannerEventTypes.scanCompleted && e.data.scanId === scanId),
      { timeoutMs: 600_000, intervalMs: 20, what: `${label} scan to complete` },
    );
    const wallMs = Date.now() - started;
    const stats: SimulatorStats = sim.stats();
    return { label, wallMs, stats, completed: completed.data };
  };

  const cpuBefore = cpuSeconds();
  const first = await scan('first');
  const firstRss = peakRssMb();
  const firstCpu = cpuSeconds() - cpuBefore;
  const warm = await scan('warm');
  const warmCpu = cpuSeconds() - cpuBefore - firstCpu;
  const per = (n: number) => Number((n / repos).toFixed(4));
  const summary = {
    repos,
    latencyMs,
    concurrency: Number(values.concurrency),
    discoveryMs,
    scannerIdleRssMb: Number(idleRssMb.toFixed(1)),
    first: {
      wallMs: first.wallMs,
      reposScanned: first.completed.reposScanned,
      reposFailed: first.completed.reposFailed,
      findings: first.completed.findings,
      requests: first.stats.requests,
      requestsPerRepo: per(first.stats.requests),
      graphqlRequestsPerRepo: per(first.stats.graphqlRequests),
      pointsSpent: first.stats.budgetSpent,
      pointsPerRepo: per(first.stats.budgetSpent),
      peakRssMb: Number(firstRss.toFixed(1)),
      scannerCpuSeconds: Number(firstCpu.toFixed(1)),
    },
    warm: {
      wallMs: warm.wallMs,
      requests: warm.stats.requests,
      notModified: warm.stats.notModified,
      pointsSpent: warm.stats.budgetSpent,
      pointsFractionOfFirst: Number((warm.stats.budgetSpent / first.stats.budgetSpent).toFixed(4)),
      scannerCpuSeconds: Number(warmCpu.toFixed(1)),
    },
    scannerNodeOptions: values['scanner-node-options'],
    loadAverage: (await import('node:os')).loadavg()[0],
    scannerPeakRssMb: Number(peakRssMb().toFixed(1)),
  };
  console.log(JSON.stringify(summary, null, 2));
  await nc.close();
} finally {
  if (scanner.exitCode === null && scanner.signalCode === null) {
    scanner.kill('SIGTERM');
    await new Promise((r) => scanner.once('exit', r));
  }
  await sim.close();
  await nats.dispose();
  await db.dispose();
}
