import { spawn, type ChildProcess } from 'node:child_process';
import { freePort, NatsServerFixture, PostgresFixture } from '#libs/testing/src/index.js';
import { performance } from 'node:perf_hooks';
import { connect } from '@nats-io/transport-node';
import { pino } from 'pino';
import { IntegrationSubjects } from '#libs/contracts/src/index.js';
import { BusClient, type Bus } from '#libs/messaging/src/index.js';
import { CommandBus } from '../apps/api-gateway/src/bus/command-bus.js';
import { autocannon, type AutocannonResult as Result } from './support/autocannon.js';
import { roundTripCounters } from './support/pg-round-trips.js';
import { cpuByProcess, cpuSince } from './support/proc.js';
import { SERVICES, serviceEnv, startService, stop, untilReady } from './support/services.js';
import { percentileOfSorted, upperMedian as median } from './support/stats.js';
import { withWorkspaceStore } from './support/workspaces.js';
import { startCollector } from './support/collector.js';
import { compareReplicaPairs, percents, type ReplicaPairs } from './support/replica-pairs.js';

/**
 * `npm run bench:gateway`, in one run, on loopback:
 *  1. `GET /api/integrations` with a valid key at 50 connections (auth, workspace scope, read
 *     model), beside a bare Fastify route in its own process answering the same JSON with no
 *     auth and no I/O: requests per second, p50, p99, and the ratio gateway/bare;
 *  2. `POST .../github/connect` + `POST .../github/disconnect` pairs at 20 connections, each
 *     connection in its own workspace (bus round trip, event store, projection wait): p50, p99,
 *     after the same from one connection alone (a command's own latency, without queueing,
 *     with the CPU and the Postgres round trips each command costs every service);
 *     then the same commands straight over NATS at the same concurrency (the integration
 *     service's own share).
 *  3. the limiter's cost: LIMITER_PAIRS (default 8) pairs of fresh replicas, alike but for
 *     RATE_LIMITS_ENABLED, loaded side by side for LIMITER_DURATION s (default 5) each; the
 *     extra CPU per request of the limited one (see compareReplicaPairs), per pair, median and
 *     pooled.
 * The measured gateway counts every request against limits too high to refuse any
 * (LIMITS below), so the figure is the cost of counting, not of refusing.
 * Measurements alternate gateway and bare for ROUNDS rounds (default 3) and report medians.
 * The three services run as built processes (as `npm start` runs them) on a private nats-server
 * and a fresh database. DURATION (seconds per measurement, default 10), CONNECTIONS (default 50),
 * PAIR_CONNECTIONS (default 20).
 *
 * With OBSERVABILITY=1, then:
 *  4. the same comparison for metrics (on, the default, against METRICS_ENABLED=false) and for
 *     tracing (every request traced, OTEL_TRACES_SAMPLER=always_on, to a local OTLP collector
 *     in its own process, against tracing off), LIMITER_PAIRS pairs each; then tracing's
 *     two parts: loaded with nothing sampled (always_off) against off, and 100% against that;
 *     then one request in ten sampled (parentbased_traceidratio 0.1) against off;
 *  5. connect + disconnect pairs untraced, then with the integration service restarted traced
 *     and through the traced gateway: p50 and p99 of each.
 */
const DURATION = Number(process.env.DURATION ?? 10);
const CONNECTIONS = Number(process.env.CONNECTIONS ?? 50);
const PAIR_CONNECTIONS = Number(process.env.PAIR_CONNECTIONS ?? 20);
const ROUNDS = Number(process.env.ROUNDS ?? 3);
/** Each on/off comparison: LIMITER_PAIRS pairs of fresh replicas, LIMITER_DURATION s each. */
const LIMITER_PAIRS = Number(process.env.LIMITER_PAIRS ?? 8);
const LIMITER_DURATION = Number(process.env.LIMITER_DURATION ?? 5);
/** Every limit counted, none reached: one client address sends every request of the bench. */
const LIMITS = {
  RATE_LIMITS_ENABLED: 'true',
  RATE_LIMIT_PER_ADDRESS: '1000000000',
  RATE_LIMIT_PER_KEY: '1000000000',
  RATE_LIMIT_FAILED_AUTH: '100',
};
/** OBSERVABILITY=1 adds what metrics and tracing cost (see observabilityCost). */
const OBSERVABILITY = process.env.OBSERVABILITY === '1';

const BARE_SERVER = `
import Fastify from 'fastify';
const body = process.env.BODY;
const app = Fastify({ logger: false });
app.get('/api/integrations', (request, reply) => {
  reply.header('content-type', 'application/json; charset=utf-8').send(body);
});
await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });
`;

async function post(url: string, token: string, body: unknown) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { authorization: `Token ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${url}: ${response.status} ${await response.text()}`);
}

const line = (name: string, r: Result) =>
  `${name.padEnd(34)} ${r.requests.average.toFixed(0).padStart(7)} req/s   p50 ${String(r.latency.p50).padStart(4)} ms   p99 ${String(r.latency.p99).padStart(4)} ms   non-2xx ${r.non2xx}   errors ${r.errors}`;

const nats = await NatsServerFixture.start();
const db = await PostgresFixture.create('bench_gateway');
// Connects name installations without the install flow (and without a GitHub App to ask).
const env = serviceEnv(nats, db, { GITHUB_CONNECT_REQUIRES_INSTALL_FLOW: 'false', ...LIMITS });
/** The gateway and the bare server count as up on any answer below 500. */
const answers = (status: number) => status < 500;
const children: ChildProcess[] = [];
try {
  let gateway = '';
  const roundTrips = roundTripCounters(db.url);
  for (const service of SERVICES) {
    const started = await startService(service, { ...env, ...roundTrips.env(service) }, children, {
      ready: answers,
      nodeArgs: roundTrips.nodeArgs,
    });
    gateway = started.url;
  }

  const pairTokens: string[] = [];
  const pairWorkspaces: string[] = [];
  const main = await withWorkspaceStore(db.url, 'bench-gateway', async (store) => {
    const created = await store.createWorkspace('bench', 'owner@bench.io');
    // One workspace per connection of every pairs run (the lone one first), so no run starts
    // on a workspace that another left connected.
    for (let i = 0; i <= PAIR_CONNECTIONS; i++) {
      pairTokens.push((await store.createWorkspace(`pairs-${i}`, `owner@pairs-${i}.io`)).token);
    }
    for (let i = 0; i < PAIR_CONNECTIONS; i++) {
      pairWorkspaces.push(
        (await store.createWorkspace(`bus-${i}`, `owner@bus-${i}.io`)).workspaceId,
      );
    }
    return created;
  });

  await post(`${gateway}/api/integrations/github/connect`, main.token, {
    installationId: '12345678',
    accountLogin: 'acme-org',
  });
  await post(`${gateway}/api/integrations/slack/connect`, main.token, { botToken: 'xoxb-1-2-3' });
  const listed = await fetch(`${gateway}/api/integrations`, {
    headers: { authorization: `Token ${main.token}` },
  });
  const body = await listed.text();

  const barePort = await freePort();
  const bare = spawn(process.execPath, ['--input-type=module', '-e', BARE_SERVER], {
    env: { ...env, PORT: String(barePort), BODY: body },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  children.push(bare);
  const bareUrl = `http://127.0.0.1:${barePort}`;
  await untilReady(`${bareUrl}/api/integrations`, bare, { ready: answers });

  console.log(
    `bench:gateway (node ${process.version}): ${DURATION} s per measurement, ${CONNECTIONS} connections (pairs: ${PAIR_CONNECTIONS}), loopback; list body ${body.length} bytes`,
  );
  console.log(
    `rate limits of the measured gateway: ${Object.entries(LIMITS)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ')}, window 60 s; the unlimited replica: RATE_LIMITS_ENABLED=false`,
  );
  // A short warm-up of each, so neither side pays for JIT compilation in its measurement.
  const warm = { connections: 10, duration: 2 };
  await autocannon({
    url: `${gateway}/api/integrations`,
    headers: { authorization: `Token ${main.token}` },
    ...warm,
  });
  await autocannon({ url: `${bareUrl}/api/integrations`, ...warm });

  // Alternating rounds, so that load from elsewhere on a shared machine hits both sides alike.
  const gatewayRounds: Result[] = [];
  const bareRounds: Result[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    gatewayRounds.push(
      await autocannon({
        url: `${gateway}/api/integrations`,
        headers: { authorization: `Token ${main.token}` },
        connections: CONNECTIONS,
        duration: DURATION,
      }),
    );
    bareRounds.push(
      await autocannon({
        url: `${bareUrl}/api/integrations`,
        connections: CONNECTIONS,
        duration: DURATION,
      }),
    );
    const g = gatewayRounds[round]!;
    const b = bareRounds[round]!;
    console.log(`round ${round + 1}`);
    console.log(line('  GET /api/integrations (gateway)', g));
    console.log(line('  GET /api/integrations (bare Fastify)', b));
    console.log(`  ratio ${(g.requests.average / b.requests.average).toFixed(2)}`);
  }
  const ratios = gatewayRounds.map((g, i) => g.requests.average / bareRounds[i]!.requests.average);
  console.log(
    `median over ${ROUNDS} rounds: gateway ${median(gatewayRounds.map((r) => r.requests.average)).toFixed(0)} req/s ` +
      `(p50 ${median(gatewayRounds.map((r) => r.latency.p50))} ms, p99 ${median(gatewayRounds.map((r) => r.latency.p99))} ms), ` +
      `bare ${median(bareRounds.map((r) => r.requests.average)).toFixed(0)} req/s ` +
      `(p50 ${median(bareRounds.map((r) => r.latency.p50))} ms, p99 ${median(bareRounds.map((r) => r.latency.p99))} ms), ` +
      `ratio ${median(ratios).toFixed(2)} (aim >= 0.5; gateway p99 aim < 20 ms)`,
  );
  // What a setting costs a cached list (the limiter here; metrics and tracing with
  // OBSERVABILITY=1), on fresh replicas that lead nothing: the first gateway leads the
  // projections and the publisher.
  const listCost = (variant: Record<string, string>, baseline = env) =>
    compareReplicaPairs({
      baseline,
      variant,
      pairs: LIMITER_PAIRS,
      seconds: LIMITER_DURATION,
      connections: CONNECTIONS,
      path: '/api/integrations',
      headers: { authorization: `Token ${main.token}` },
      ready: answers,
    });
  const limiter = await listCost(env, { ...env, RATE_LIMITS_ENABLED: 'false' });
  console.log(costLine('rate limiting on against off', limiter, 'aim <= 5%'));
  if (process.env.EXTRA) {
    const checks = await autocannon({
      url: `${gateway}/api/integrations/github/checks`,
      headers: { authorization: `Token ${main.token}` },
      connections: CONNECTIONS,
      duration: DURATION,
    });
    console.log(line('GET github/checks (Nest route, no I/O)', checks));
  }

  let nextToken = 0;
  const json = { 'content-type': 'application/json' };
  const runPairs = (
    connections: number,
    url = gateway,
    tokens = pairTokens,
    installationBase = 1_000,
  ) =>
    autocannon({
      url,
      connections,
      duration: DURATION,
      // One workspace per connection for the whole run: autocannon clears a connection's context
      // each time it loops over `requests`, so the key goes into the context it starts from.
      setupClient: (client: {
        requestIterator: { initialContext: object; context: object; rebuildRequest(): void };
      }) => {
        const index = nextToken++ % tokens.length;
        // An installation belongs to one workspace: each workspace connects its own.
        const context = {
          token: tokens[index],
          installationId: String(installationBase + index),
        };
        client.requestIterator.initialContext = context;
        client.requestIterator.context = { ...context };
        client.requestIterator.rebuildRequest();
      },
      requests: [
        {
          method: 'POST',
          setupRequest: (
            request: Record<string, unknown>,
            context: { token: string; installationId: string },
          ) => ({
            ...request,
            path: '/api/integrations/github/connect',
            headers: { ...json, authorization: `Token ${context.token}` },
            body: JSON.stringify({ installationId: context.installationId, accountLogin: 'pairs' }),
          }),
        },
        {
          method: 'POST',
          setupRequest: (request: Record<string, unknown>, context: { token: string }) => ({
            ...request,
            path: '/api/integrations/github/disconnect',
            headers: { ...json, authorization: `Token ${context.token}` },
            body: '{}',
          }),
        },
      ],
    });
  // One client alone: a command's own time through HTTP, bus, event store and projection.
  const machineBefore = cpuByProcess();
  const tripsBefore = SERVICES.map((service) => roundTrips.count(service));
  const alone = await runPairs(1);
  console.log(line('POST connect + disconnect, 1 conn', alone));
  // Where a command's time goes: one command fans out to the projections and consumers of every
  // service, so on a small machine one client alone keeps the cores busy.
  const spent = cpuSince(machineBefore);
  // The counters are written four times a second.
  await new Promise((resolve) => setTimeout(resolve, 300));
  const trips = SERVICES.map((service, i) => roundTrips.count(service) - tripsBefore[i]!);
  const perCommand = (ms: number) => (ms / alone.requests.total).toFixed(1);
  console.log(
    `  CPU per command across the machine: ${perCommand(spent.reduce((sum, [, ms]) => sum + ms, 0))} ms (` +
      spent
        .slice(0, 6)
        .map(([name, ms]) => `${name} ${perCommand(ms)}`)
        .join(', ') +
      ')',
  );
  console.log(
    `  Postgres round trips per command: ${perCommand(trips.reduce((sum, n) => sum + n, 0))} (` +
      SERVICES.map((service, i) => `${service} ${perCommand(trips[i]!)}`).join(', ') +
      ')',
  );
  const pairs = await runPairs(PAIR_CONNECTIONS);
  console.log(line('POST connect + disconnect (each)', pairs));
  console.log(
    `pairs: ${(pairs.requests.average / 2).toFixed(0)} pairs/s; p99 per request ${pairs.latency.p99} ms (aim < 50 ms)`,
  );
  if (pairs.non2xx > 0) {
    console.log(`non-2xx by status: ${JSON.stringify(pairs.statusCodeStats)}`);
  }

  // The same pairs straight over the bus, without HTTP, auth or the projection wait: what the
  // integration service itself takes at this concurrency, to tell the gateway's share apart.
  const nc = await connect({ servers: nats.url });
  const bus = new CommandBus(new BusClient(nc) as Bus, pino({ level: 'silent' }), {
    BUS_TIMEOUT_MS: 5_000,
  });
  const latencies: number[] = [];
  const until = performance.now() + DURATION * 1_000;
  const commandsFor = (installationId: string) =>
    [
      [
        IntegrationSubjects.connect,
        { provider: 'github', payload: { installationId, accountLogin: 'pairs' } },
      ],
      [IntegrationSubjects.disconnect, { provider: 'github' }],
    ] as const;
  await Promise.all(
    pairWorkspaces.map(async (workspaceId, index) => {
      const commands = commandsFor(String(2_000 + index));
      const context = { correlationId: 'bench', workspaceId, actor: 'bench' };
      while (performance.now() < until) {
        for (const [subject, data] of commands) {
          const started = performance.now();
          await bus.request(subject, data, context);
          latencies.push(performance.now() - started);
        }
      }
    }),
  );
  await nc.close();
  latencies.sort((a, b) => a - b);
  console.log(
    `bus only (the integration service's share, no HTTP/projection): ${(latencies.length / DURATION).toFixed(0)} cmd/s   p50 ${percentileOfSorted(latencies, 50).toFixed(0)} ms   p99 ${percentileOfSorted(latencies, 99).toFixed(0)} ms`,
  );

  if (OBSERVABILITY) {
    await observabilityCost({
      env,
      children,
      gateway,
      dbUrl: db.url,
      listCost,
      runPairs: (url, tokens, base) => runPairs(PAIR_CONNECTIONS, url, tokens, base),
    });
  }
} finally {
  for (const child of children.reverse()) await stop(child);
  await nats.dispose();
  await db.dispose();
}

/** One comparison of compareReplicaPairs, as the bench prints it. */
function costLine(what: string, cost: ReplicaPairs, aim: string): string {
  return (
    `${what}, ${cost.extra.length} pairs of fresh replicas side by side: extra CPU per request ` +
    `${percents(cost.extra)}; median ${percents([cost.median])}, pooled ${percents([cost.pooled])} ` +
    `(${cost.baselineMicros.toFixed(0)} -> ${cost.variantMicros.toFixed(0)} µs/request; ${aim})`
  );
}

/** Sections 4 and 5 of the header: the cost of /metrics' timing and of tracing at 100%. */
async function observabilityCost(setup: {
  env: Record<string, string>;
  children: ChildProcess[];
  gateway: string;
  dbUrl: string;
  listCost: (
    variant: Record<string, string>,
    baseline?: Record<string, string>,
  ) => Promise<ReplicaPairs>;
  runPairs: (url: string, tokens: string[], installationBase: number) => Promise<Result>;
}): Promise<void> {
  const { env, children, gateway } = setup;
  const collector = await startCollector(children);
  // The SDK's default protocol (http/protobuf), as a deployment that sets only the endpoint
  // exports; the collector counts its spans.
  const traced = {
    ...env,
    OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
    OTEL_TRACES_SAMPLER: 'always_on',
  };
  // Throughput ratios (on/off) are 1 / (1 + extra CPU per request).
  const metrics = await setup.listCost(env, { ...env, METRICS_ENABLED: 'false' });
  console.log(
    costLine(
      'metrics on against off',
      metrics,
      `throughput on/off ${(1 / (1 + metrics.median)).toFixed(3)}, aim >= 0.97`,
    ),
  );
  const tracing = await setup.listCost(traced, env);
  console.log(
    costLine(
      'tracing 100% against off',
      tracing,
      `throughput on/off ${(1 / (1 + tracing.median)).toFixed(3)}, aim >= 0.85`,
    ),
  );
  // Where that goes: the SDK and the request hooks with nothing sampled (what a deployment
  // that samples little pays on most requests), and what recording and exporting add.
  const unsampled = { ...traced, OTEL_TRACES_SAMPLER: 'always_off' };
  const loaded = await setup.listCost(unsampled, env);
  console.log(costLine('tracing loaded, nothing sampled, against off', loaded, 'no aim'));
  const recorded = await setup.listCost(traced, unsampled);
  console.log(costLine('tracing 100% against nothing sampled', recorded, 'no aim'));
  // What a deployment that keeps one trace in ten pays.
  const tenth = {
    ...traced,
    OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
    OTEL_TRACES_SAMPLER_ARG: '0.1',
  };
  const sampled = await setup.listCost(tenth, env);
  console.log(costLine('tracing 10% against off', sampled, 'no aim'));
  const tracedGateway = await startService('api-gateway', traced, children, { ready: answers });

  const [quietTokens, tracedTokens] = await withWorkspaceStore(
    setup.dbUrl,
    'bench-gateway-cost',
    async (store) => {
      const make = async (prefix: string) => {
        const tokens: string[] = [];
        for (let i = 0; i < PAIR_CONNECTIONS; i++) {
          tokens.push((await store.createWorkspace(`${prefix}-${i}`, `o@${prefix}-${i}.io`)).token);
        }
        return tokens;
      };
      return [await make('cost-quiet'), await make('cost-traced')];
    },
  );
  const quiet = await setup.runPairs(gateway, quietTokens, 3_000);
  console.log(line('pairs, tracing off', quiet));
  // The owning service traces too: restart it with the collector, then go through the traced gateway.
  const untracedService = children[0]!;
  await stop(untracedService);
  await startService('integration-service', traced, children, { ready: answers });
  await untilReady(`${tracedGateway.url}/health/ready`, children.at(-1)!, { timeoutMs: 60_000 });
  const tracedPairs = await setup.runPairs(tracedGateway.url, tracedTokens, 5_000);
  console.log(line('pairs, tracing 100% (gateway + service)', tracedPairs));
  const exported = await collector.stop();
  console.log(
    `connect + disconnect p99: tracing off ${quiet.latency.p99} ms, tracing on ${tracedPairs.latency.p99} ms ` +
      `(p50 ${quiet.latency.p50} / ${tracedPairs.latency.p50} ms); the collector took ${exported.spans} spans in ${exported.requests} exports`,
  );
}
