/**
 * `npm run bench:faults`: the stack under steady mixed load (Slack connects and disconnects
 * across WORKSPACES workspaces, rule writes, signed GitHub webhooks, at RATE operations per
 * second, spread over two gateway replicas) while an org scan of REPOS repositories runs, and one
 * fault at a time, each in a window of DURATION seconds: kill -9 of one gateway replica, of the
 * integration service, of the scanner replica mid-scan (each restarted by the supervisor of
 * `npm start`), of the NATS node of three leading INTEGRATION_EVENTS (started again at the
 * window's end), and of PostgreSQL with every backend (started again PG_DOWN_SECONDS later).
 *
 * Per fault: writes answered 2xx whose effect is missing at the end, and effects applied twice
 * (bench/faults/effects.ts); seconds from the kill until every service's /health/ready is 200
 * again; seconds from the kill until every write answered so far, and at least one answered
 * after the kill, shows in the read models; whether the scan started before the kill completed
 * with the org's repository count. Prints a table and one JSON line.
 */
import { loadavg } from 'node:os';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { DeadLetterSubjects, Streams } from '#libs/contracts/src/index.js';
import type { NatsClusterFixture, NatsServerFixture } from '#libs/testing/src/index.js';
import { checkEffects } from './faults/effects.js';
import { MixedLoad, type LedgerEntry, type LoadWorkspace } from './faults/load.js';
import { ReadinessWatch } from './faults/readiness.js';
import { busiestScanner, scanOutcome, startScan, type ScanOutcome } from './faults/scan.js';
import { startFaultStack, type FaultStack } from './faults/stack.js';
import { withWorkspaceStore } from './support/workspaces.js';

const DURATION = Number(process.env.DURATION ?? 40);
const RATE = Number(process.env.RATE ?? 20);
const WORKSPACES = Number(process.env.WORKSPACES ?? 40);
const REPOS = Number(process.env.REPOS ?? 300);
const LATENCY_MS = Number(process.env.LATENCY_MS ?? 20);
const SCAN_CONCURRENCY = Number(process.env.SCAN_CONCURRENCY ?? 2);
const PG_DOWN_SECONDS = Number(process.env.PG_DOWN_SECONDS ?? 5);
const ONLY = process.env.FAULTS?.split(',');

const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));
const log = (line: string) => process.stderr.write(`[faults] ${line}\n`);

interface Fault {
  name: string;
  /** Kills; resolves once the victim is gone. */
  inject(stack: FaultStack): Promise<void>;
  /** After the kill (ms), and what brings the part back; supervised services need nothing. */
  heal?: { afterMs: number; run(stack: FaultStack): Promise<void> };
}

/** The NATS node killed last (to start it again). */
let victim: NatsServerFixture | undefined;

/** The node leading a stream: losing it costs an election, the harder case. */
async function streamLeader(cluster: NatsClusterFixture, stream: string) {
  const nc = await connect({ servers: cluster.url });
  try {
    const info = await (await jetstreamManager(nc)).streams.info(stream);
    // NatsClusterFixture names each server `n<i>-<client port>`.
    const port = Number(info.cluster?.leader?.split('-').at(-1));
    return cluster.nodes.find((n) => n.port === port) ?? cluster.nodes[0]!;
  } finally {
    await nc.close();
  }
}

/**
 * What each consumer parked in DEAD_LETTERS (subject `dead-letters.<consumer>`): a write whose
 * event a projection parked is missing from that read model until ops replay it, so a missing
 * write with a parked event here was not lost on the way but refused by its projection.
 */
async function parkedByConsumer(cluster: NatsClusterFixture): Promise<Record<string, number>> {
  const nc = await connect({ servers: cluster.url });
  try {
    const info = await (
      await jetstreamManager(nc)
    ).streams.info(Streams.deadLetters.name, {
      subjects_filter: `${DeadLetterSubjects.prefix}.>`,
    });
    return Object.fromEntries(
      Object.entries(info.state.subjects ?? {}).map(([subject, n]) => [
        subject.slice(DeadLetterSubjects.prefix.length + 1),
        n,
      ]),
    );
  } finally {
    await nc.close();
  }
}

const killService = async (stack: FaultStack, name: string) => {
  const child = stack.services.find((s) => s.name === name)!.supervisor.process!;
  const gone = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await gone;
};

const FAULTS: Fault[] = [
  { name: 'gateway replica (1 of 2)', inject: (s) => killService(s, 'api-gateway#1') },
  { name: 'integration service', inject: (s) => killService(s, 'integration-service') },
  {
    name: 'scanner replica mid-scan',
    inject: async (s) => {
      const scanners = s.services.filter((x) => x.service === 'scanner-service');
      const victim = await busiestScanner(scanners);
      log(`the scan runs on ${victim.name}`);
      await killService(s, victim.name);
    },
  },
  {
    name: 'NATS node (1 of 3)',
    inject: async (s) => {
      victim = await streamLeader(s.nats, Streams.integrationEvents.name);
      log(`killing the node that leads ${Streams.integrationEvents.name}`);
      await victim.stop();
    },
    heal: { afterMs: DURATION * 750, run: () => victim!.resume() },
  },
  {
    name: 'PostgreSQL (restarted)',
    inject: (s) => s.pg.kill(),
    heal: { afterMs: PG_DOWN_SECONDS * 1000, run: (s) => s.pg.resume() },
  },
];

interface FaultResult {
  fault: string;
  windowStart: number;
  windowEnd: number;
  readyAfterS: number | null;
  caughtUpAfterS: number | null;
  scan: ScanOutcome;
}

/**
 * Polls (up to `timeoutMs`) until every write answered so far, one at least after `since`,
 * shows; ms after `since`.
 */
async function caughtUp(
  stack: FaultStack,
  load: MixedLoad,
  since: number,
  timeoutMs: number,
): Promise<number | undefined> {
  const deadline = Date.now() + timeoutMs;
  let reported = 0;
  while (Date.now() < deadline) {
    const at = Date.now();
    const answered = load.ledger.filter((e) => e.ackedAt !== undefined && e.ackedAt <= at);
    if (answered.some((e) => e.ackedAt! > since)) {
      const counts = await checkEffects(stack.databaseUrl, answered).catch(() => undefined);
      if (counts && counts.missing === 0) return at - since;
      // What is behind, every 10 s, to tell a lagging projection from a stuck consumer.
      if (counts && Date.now() - since > (reported + 1) * 10_000) {
        reported++;
        log(`not caught up yet, missing: ${JSON.stringify(counts.missingByKind)}`);
        log(`for example: ${JSON.stringify(counts.missingSample)}`);
      }
    }
    await sleep(250);
  }
  return undefined;
}

async function runFault(
  fault: Fault,
  stack: FaultStack,
  load: MixedLoad,
  scanner: { token: string },
): Promise<FaultResult> {
  const windowStart = Date.now();
  const gateway = stack.gateways[1]!; // the replica no fault kills
  const scanId = await startScan(gateway, scanner.token, stack.databaseUrl);
  await sleep(windowStart + DURATION * 250 - Date.now());
  log(`killing: ${fault.name}`);
  await fault.inject(stack);
  const killedAt = Date.now();
  const readiness = new ReadinessWatch(stack.services, killedAt);
  const catchUp = caughtUp(stack, load, killedAt, DURATION * 750 + 180_000);
  if (fault.heal) {
    await sleep(killedAt + fault.heal.afterMs - Date.now());
    log(`bringing back: ${fault.name}`);
    await fault.heal.run(stack);
  }
  await sleep(killedAt + DURATION * 750 - Date.now());
  const windowEnd = Date.now();
  const readyAfterMs = await readiness.backAfter(180_000);
  const caughtUpAfterMs = await catchUp;
  const scan = await scanOutcome(gateway, scanner.token, stack.databaseUrl, scanId, REPOS, 300_000);
  log(`${fault.name}: ready after ${readyAfterMs} ms, caught up after ${caughtUpAfterMs} ms`);
  return {
    fault: fault.name,
    windowStart,
    windowEnd,
    readyAfterS: readyAfterMs === undefined ? null : readyAfterMs / 1000,
    caughtUpAfterS: caughtUpAfterMs === undefined ? null : caughtUpAfterMs / 1000,
    scan,
  };
}

async function createWorkspaces(stack: FaultStack): Promise<{
  workspaces: LoadWorkspace[];
  scanner: { token: string };
}> {
  const workspaces: LoadWorkspace[] = [];
  await withWorkspaceStore(stack.databaseUrl, 'bench-faults', async (store) => {
    for (let w = 0; w < WORKSPACES; w++) {
      const owner = await store.createWorkspace(`faults-${w}`, `owner@faults-${w}.io`);
      workspaces.push({ ...owner, slack: 'disconnected', busy: false });
    }
  });
  const owner = await withWorkspaceStore(stack.databaseUrl, 'bench-faults', (store) =>
    store.createWorkspace('faults-scan', 'owner@faults-scan.io'),
  );
  const connected = await fetch(`${stack.gateways[1]}/api/integrations/github/connect`, {
    method: 'POST',
    headers: { authorization: `Token ${owner.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      installationId: String(stack.github.installationId),
      accountLogin: stack.github.org.login,
    }),
  });
  if (connected.status !== 201) throw new Error(`connect github: ${connected.status}`);
  return { workspaces, scanner: { token: owner.token } };
}

const seconds = (s: number | null) => (s === null ? 'never' : s.toFixed(1));

function printTable(rows: Array<Record<string, string | number>>): void {
  const columns = Object.keys(rows[0]!);
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => String(r[c]).length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ');
  console.log(line(columns));
  console.log(widths.map((w) => '-'.repeat(w)).join('-|-'));
  for (const row of rows) console.log(line(columns.map((c) => String(row[c]))));
}

const stack = await startFaultStack({
  repos: REPOS,
  latencyMs: LATENCY_MS,
  workspaces: WORKSPACES,
  scanConcurrency: SCAN_CONCURRENCY,
});
try {
  const { workspaces, scanner } = await createWorkspaces(stack);
  const load = new MixedLoad({
    gateways: stack.gateways,
    workspaces,
    webhookInstallationId: stack.github.installationId,
    webhookSecret: stack.webhookSecret,
    rate: RATE,
  });
  const loadStart = Date.now();
  load.start();
  const results: FaultResult[] = [];
  for (const fault of FAULTS.filter((f) => !ONLY || ONLY.some((o) => f.name.startsWith(o)))) {
    results.push(await runFault(fault, stack, load, scanner));
  }
  await load.stop();
  const loadSeconds = (Date.now() - loadStart) / 1000;
  // Webhooks answered last may still be on their way to the scanner: wait for them to settle.
  const settled = await caughtUp(stack, load, loadStart, 120_000);
  const rows = [];
  const json = [];
  for (const [i, r] of results.entries()) {
    const until = results[i + 1]?.windowStart ?? Infinity;
    const entries = load.ledger.filter((e) => e.startedAt >= r.windowStart && e.startedAt < until);
    const effects = await checkEffects(stack.databaseUrl, entries);
    const count = (outcome: LedgerEntry['outcome']) =>
      entries.filter((e) => e.outcome === outcome).length;
    const retried = entries.filter((e) => e.attempts > 1).length;
    rows.push({
      fault: r.fault,
      'ops 2xx': effects.acked,
      'missing after 2xx': effects.missing,
      'applied twice': effects.twice,
      'ready again (s)': seconds(r.readyAfterS),
      'read models caught up (s)': seconds(r.caughtUpAfterS),
      scan: `${r.scan.ok ? 'ok' : 'WRONG'} ${r.scan.status} ${r.scan.reposScanned}/${REPOS}`,
      'retried / refused / abandoned': `${retried} / ${count('refused')} / ${count('abandoned')}`,
    });
    json.push({
      ...r,
      ...effects,
      retried,
      refused: count('refused'),
      abandoned: count('abandoned'),
    });
  }
  const total = await checkEffects(stack.databaseUrl, load.ledger, workspaces);
  const parked = await parkedByConsumer(stack.nats);
  const acked = load.ledger.filter((e) => e.outcome === 'acked').length;
  printTable(rows);
  const summary = {
    rate: RATE,
    durationPerFaultS: DURATION,
    loadSeconds: Number(loadSeconds.toFixed(1)),
    operations: load.ledger.length,
    opsAckedPerSecond: Number((acked / loadSeconds).toFixed(1)),
    requestsPerSecond: Number((load.attempts / loadSeconds).toFixed(1)),
    skippedAtInFlightCap: load.skipped,
    workspaces: WORKSPACES,
    repos: REPOS,
    settledS: settled === undefined ? null : settled / 1000,
    total,
    parked,
    faults: json,
    loadAverage: loadavg(),
  };
  console.log(
    `load: ${RATE} operations/s offered, ${summary.requestsPerSecond} requests/s sent, ` +
      `${summary.opsAckedPerSecond} 2xx/s, for ${summary.loadSeconds} s; ` +
      `all faults: ${total.acked} 2xx, ${total.missing} missing, ${total.twice} twice, ` +
      `${total.wrongState} workspaces in the wrong state; parked: ${JSON.stringify(parked)}`,
  );
  console.log(JSON.stringify(summary));
} finally {
  await stack.close();
}
