import type { ChildProcess } from 'node:child_process';
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { NatsServerFixture, PostgresFixture } from '#libs/testing/src/index.js';
import { startGithubSimulator } from '../tools/github-simulator/src/index.js';
import { nodeHttpFetch } from '#libs/github/src/index.js';
import { startSlackSimulator } from '../tools/slack-simulator/src/index.js';
import { roundTripCounters } from './support/pg-round-trips.js';
import { cpuByProcess, cpuSince, peakRssMb, rssMb } from './support/proc.js';
import { SERVICES, serviceEnv, startService, stop } from './support/services.js';
import { percentile } from './support/stats.js';
import { withWorkspaceStore } from './support/workspaces.js';

/**
 * `npm run bench:rules`, in one run, on loopback: the three services and the rules engine as
 * built processes (as `npm start` runs them) on a private nats-server, a fresh database, and the
 * GitHub and Slack simulators (in this process). WORKSPACES workspaces (default 100), each with
 * GitHub (its own installation) and Slack connected and RULES_PER_WORKSPACE rules and policies
 * (default 10: one block policy on every pull request of the org, and nine that a pull request
 * does not start: rules on push and issues, schedules, a policy on other repositories). Signed
 * `pull_request` `opened` deliveries are POSTed at RATE/s (default 200) for DURATION seconds
 * (default 30), each for an open pull request of the simulator with a head sha of its own, so
 * that its commit status is found when the simulator creates it. Reported:
 *  - from the 202 to the commit status created in the simulator: p50, p99, max;
 *  - evaluations per second (policy runs finished during the load);
 *  - provider calls per evaluation (REST and GraphQL requests the simulators served; and
 *    installation tokens minted); what the statuses said (evaluated, failing open, breaker
 *    open) and the calls GitHub refused, which would make the figures those of the failure path;
 *  - Postgres round trips (statements sent) per evaluation by the engine, the integration
 *    service and the gateway (per delivery for the gateway);
 *  - the engine's RSS (now and peak) and each process's CPU time;
 *  - the deliveries intake did not answer 202, by status and error code.
 */
const WORKSPACES = Number(process.env.WORKSPACES ?? 100);
const RULES_PER_WORKSPACE = Number(process.env.RULES_PER_WORKSPACE ?? 10);
const RATE = Number(process.env.RATE ?? 200);
const DURATION = Number(process.env.DURATION ?? 30);
const PULLS_PER_REPO = 20;
const SECRET = randomBytes(20).toString('hex');

const nats = await NatsServerFixture.start();
const db = await PostgresFixture.create('bench_rules');
const github = await startGithubSimulator({ repos: 10, seed: 7, extraInstallations: WORKSPACES });
const slack = await startSlackSimulator();
const env = serviceEnv(nats, db, {
  GITHUB_API_URL: github.url,
  GITHUB_APP_ID: String(github.appId),
  GITHUB_APP_PRIVATE_KEY_PATH: github.privateKeyPath,
  GITHUB_WEBHOOK_SECRET: SECRET,
  GITHUB_CONNECT_REQUIRES_INSTALL_FLOW: 'false',
  // One sender address at 200/s is past the per-address limit; GitHub sends from many.
  RATE_LIMITS_ENABLED: 'false',
  // The intake's bound on deliveries stored at once (32) answers 503 past it on a loaded machine.
  WEBHOOK_MAX_IN_FLIGHT: '512',
  SLACK_API_URL: slack.url,
  PROVIDER_URL_ALLOW_PRIVATE_ADDRESSES: 'true',
});
const children: ChildProcess[] = [];
const org = github.org.login;

/** When the simulator created a status, by commit sha. */
const statusAt = new Map<string, number>();
/** What the statuses said: a run that could not evaluate fails open or finds its breaker open. */
const verdicts = { evaluated: 0, failedOpen: 0, breakerOpen: 0 };
const addStatus = github.pulls.addStatus.bind(github.pulls);
github.pulls.addStatus = (repo, sha, input) => {
  if (!statusAt.has(sha)) statusAt.set(sha, performance.now());
  const description = String(input.description ?? '');
  if (description.includes('failing open')) verdicts.failedOpen++;
  else if (description.includes('circuit breaker open')) verdicts.breakerOpen++;
  else verdicts.evaluated++;
  return addStatus(repo, sha, input);
};

const pulls: Array<{ repo: (typeof github.org.repos)[number]; number: number }> = [];
for (const repo of github.org.repos) {
  for (let i = 0; i < PULLS_PER_REPO; i++) {
    const additions = (i * 97) % 1_200;
    pulls.push({
      repo,
      number: github.pulls.openPull(repo, { title: `change ${i}`, additions, deletions: 3 }).number,
    });
  }
}

function rulesOf(): Array<Record<string, unknown>> {
  const others: Array<Record<string, unknown>> = [
    {
      name: 'Pushes to Slack',
      trigger: { event: 'push' },
      actions: [
        { provider: 'slack', method: 'send_message', params: { channel: '#eng', text: 'push' } },
      ],
    },
    {
      name: 'Issues to Slack',
      trigger: { event: 'issues.opened' },
      actions: [
        { provider: 'slack', method: 'send_message', params: { channel: '#eng', text: 'issue' } },
      ],
    },
    {
      name: 'New year',
      trigger: { event: 'schedule', schedule: '0 0 1 1 *' },
      actions: [
        { provider: 'slack', method: 'send_message', params: { channel: '#eng', text: 'happy' } },
      ],
    },
    {
      name: 'Docs PRs',
      kind: 'policy',
      enforcement: 'advisory',
      trigger: { event: 'pull_request' },
      conditions: [
        {
          provider: 'github',
          check: 'pr.changed_lines',
          operator: 'gt',
          value: 10,
          repo: `${org}/docs-*`,
        },
      ],
    },
  ];
  const list: Array<Record<string, unknown>> = [
    {
      name: 'Max PR size',
      kind: 'policy',
      enforcement: 'block',
      trigger: { event: 'pull_request' },
      conditions: [
        {
          provider: 'github',
          check: 'pr.changed_lines',
          operator: 'gt',
          value: 500,
          repo: `${org}/*`,
        },
      ],
    },
  ];
  for (let i = 0; list.length < RULES_PER_WORKSPACE; i++) {
    const other = others[i % others.length]!;
    list.push({ ...other, name: `${String(other.name)} ${i}` });
  }
  return list;
}

try {
  let gateway = '';
  const roundTrips = roundTripCounters(db.url);
  const trips = roundTrips.count;
  for (const service of SERVICES) {
    gateway = (
      await startService(service, { ...env, ...roundTrips.env(service) }, children, {
        nodeArgs: roundTrips.nodeArgs,
      })
    ).url;
  }
  const engine = await startService(
    'rules-engine',
    { ...env, ...roundTrips.env('rules-engine'), RULES_PUBLIC_URL: gateway, LOG_LEVEL: 'warn' },
    children,
    { nodeArgs: roundTrips.nodeArgs },
  );
  const engineChild = engine.child;

  const setupStarted = performance.now();
  const installationOf = new Map<number, string>();
  for (let w = 0; w < WORKSPACES; w++) {
    const owner = await withWorkspaceStore(db.url, 'bench-rules', (store) =>
      store.createWorkspace(`bench-${w}`, `owner@bench-${w}.io`),
    );
    const auth = { authorization: `Token ${owner.token}`, 'content-type': 'application/json' };
    const installationId = github.installationId + w + 1;
    const connected = await fetch(`${gateway}/api/integrations/github/connect`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ installationId: String(installationId), accountLogin: org }),
    });
    if (connected.status !== 201)
      throw new Error(`connect github: ${connected.status} ${await connected.text()}`);
    const slackConnected = await fetch(`${gateway}/api/integrations/slack/connect`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ botToken: `xoxb-bench-${w}` }),
    });
    if (slackConnected.status !== 201) throw new Error(`connect slack: ${slackConnected.status}`);
    for (const rule of rulesOf()) {
      const created = await fetch(`${gateway}/api/rules`, {
        method: 'POST',
        headers: auth,
        body: JSON.stringify(rule),
      });
      if (created.status !== 201)
        throw new Error(`rule: ${created.status} ${await created.text()}`);
    }
    installationOf.set(installationId, owner.workspaceId);
  }
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  for (;;) {
    const { rows } = await client.query<{ n: string }>(
      'SELECT count(*) AS n FROM rules.rules WHERE enabled',
    );
    if (Number(rows[0]!.n) >= WORKSPACES * RULES_PER_WORKSPACE) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  const signed = (payload: unknown) => {
    const body = JSON.stringify(payload);
    return { body, signature: `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}` };
  };
  const deliver = async (installationId: number, pull: (typeof pulls)[number], sha: string) => {
    const { body, signature } = signed({
      action: 'opened',
      number: pull.number,
      pull_request: {
        number: pull.number,
        head: { sha, ref: `feature-${pull.number}` },
        title: 'bench',
      },
      repository: {
        full_name: `${org}/${pull.repo.name}`,
        name: pull.repo.name,
        owner: { login: org },
      },
      installation: { id: installationId },
      sender: { login: 'octocat' },
    });
    // Over node:http, as the services call GitHub: with undici's fetch this process (GitHub's
    // stand-in, sharing the two cores with the services) took about a fifth more CPU.
    const response = await nodeHttpFetch(`${gateway}/api/webhooks/github`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-github-event': 'pull_request',
        'x-github-delivery': randomUUID(),
        'x-hub-signature-256': signature,
      },
      body,
    });
    const answer = (await response.json()) as { status?: string; error?: { code?: string } };
    return { status: response.status, accepted: answer.status, code: answer.error?.code };
  };
  // The gateway maps an installation to its workspace from the connect events: wait for all.
  for (const installationId of installationOf.keys()) {
    for (;;) {
      const answer = await deliver(installationId, pulls[0]!, randomBytes(20).toString('hex'));
      if (answer.accepted === 'accepted') break;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  const setupSeconds = (performance.now() - setupStarted) / 1000;
  // Let the warm-up deliveries above finish, then count from a clean slate.
  await new Promise((r) => setTimeout(r, 3_000));
  github.resetStats();
  const tokensBefore = 0;
  const { rows: before } = await client.query<{ n: string }>(
    'SELECT count(*) AS n FROM rules.runs WHERE outcome IS NOT NULL',
  );
  const runsBefore = Number(before[0]!.n);
  const cpuBefore = cpuByProcess();
  const wallBefore = performance.now();
  const counters = ['rules-engine', 'integration-service', 'api-gateway'];
  const tripsBefore = new Map(counters.map((service) => [service, trips(service)]));

  console.log(
    `bench:rules: ${WORKSPACES} workspaces x ${RULES_PER_WORKSPACE} rules and policies (${WORKSPACES * RULES_PER_WORKSPACE}), ${pulls.length} open PRs; signed pull_request deliveries at ${RATE}/s for ${DURATION} s; setup ${setupSeconds.toFixed(1)} s`,
  );
  const accepted = new Map<string, number>();
  const installations = [...installationOf.keys()];
  const total = RATE * DURATION;
  const started = performance.now();
  const inFlight: Promise<void>[] = [];
  let refused = 0;
  const refusals = new Map<string, number>();
  const refuse = (why: string) => {
    refused++;
    refusals.set(why, (refusals.get(why) ?? 0) + 1);
  };
  for (let i = 0; i < total; i++) {
    const due = started + (i * 1000) / RATE;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const sha = randomBytes(20).toString('hex');
    const pull = pulls[i % pulls.length]!;
    const installationId = installations[i % installations.length]!;
    inFlight.push(
      deliver(installationId, pull, sha).then(
        (answer) => {
          if (answer.status === 202) accepted.set(sha, performance.now());
          else refuse(`${answer.status} ${answer.code ?? answer.accepted ?? ''}`.trim());
        },
        (error: unknown) => refuse(error instanceof Error ? error.message : String(error)),
      ),
    );
  }
  await Promise.all(inFlight);
  const sent = (performance.now() - started) / 1000;
  const loadEnded = performance.now();
  const deadline = performance.now() + 120_000;
  while ([...accepted.keys()].some((sha) => !statusAt.has(sha)) && performance.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
  }
  const drainSeconds = (performance.now() - loadEnded) / 1000;
  const latencies = [...accepted]
    .filter(([sha]) => statusAt.has(sha))
    .map(([sha, at]) => statusAt.get(sha)! - at);
  const missing = accepted.size - latencies.length;
  const { rows: after } = await client.query<{ n: string; states: string }>(
    `SELECT count(*) AS n FROM rules.runs WHERE outcome IS NOT NULL`,
  );
  const evaluations = Number(after[0]!.n) - runsBefore;
  // The services write their counts four times a second.
  await new Promise((r) => setTimeout(r, 600));
  const tripsDuring = (service: string) => trips(service) - tripsBefore.get(service)!;
  const { rows: inEngine } = await client.query<{ p50: number; p99: number }>(
    `SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) AS p50, percentile_cont(0.99) WITHIN GROUP (ORDER BY ms) AS p99
     FROM (SELECT extract(epoch FROM ((view->>'finishedAt')::timestamptz - (view->>'startedAt')::timestamptz)) * 1000 AS ms
           FROM rules.runs WHERE outcome IS NOT NULL AND (view->>'startedAt')::timestamptz > now() - interval '10 minutes') t`,
  );
  // Where a run's time goes, from the engine's log: its start (as decided) -> the status's key
  // taken (breaker, live check through the integration service), then -> the run's finish
  // written (the status call itself; the action's outcome is written with the finish).
  const { rows: phases } = await client.query<{ phase: string; p50: number; p99: number }>(
    `WITH r AS (
       SELECT e.stream_id, e.type, e.recorded_at, e.data FROM rules.events e
       WHERE e.recorded_at > now() - interval '10 minutes'),
     runs AS (
       SELECT substr(stream_id, 5) AS run_id,
              max((data->>'startedAt')::timestamptz) FILTER (WHERE type = 'RuleRunStarted') AS started,
              max(recorded_at) FILTER (WHERE type = 'RuleRunFinished') AS finished
       FROM r WHERE stream_id LIKE 'run-%' GROUP BY 1),
     acts AS (
       SELECT data->>'runId' AS run_id, max(recorded_at) AS began
       FROM r WHERE type = 'RuleActionStarted' GROUP BY 1),
     gaps AS (
       SELECT extract(epoch FROM a.began - runs.started) * 1000 AS check_ms,
              extract(epoch FROM runs.finished - a.began) * 1000 AS act_ms
       FROM runs JOIN acts a ON a.run_id = runs.run_id)
     SELECT 'start -> status key taken' AS phase, percentile_cont(0.5) WITHIN GROUP (ORDER BY check_ms) AS p50, percentile_cont(0.99) WITHIN GROUP (ORDER BY check_ms) AS p99 FROM gaps
     UNION ALL SELECT 'status call -> finish written', percentile_cont(0.5) WITHIN GROUP (ORDER BY act_ms), percentile_cont(0.99) WITHIN GROUP (ORDER BY act_ms) FROM gaps`,
  );
  const stats = github.stats();
  const lastStatus = Math.max(...[...accepted.keys()].map((sha) => statusAt.get(sha) ?? 0));
  const busySeconds = (lastStatus - started) / 1000;

  console.log(
    `deliveries ${total} sent in ${sent.toFixed(1)} s (${(total / sent).toFixed(0)}/s), 202 for ${accepted.size}, refused ${refused} ${JSON.stringify(Object.fromEntries(refusals))}`,
  );
  console.log(
    `202 -> commit status created   p50 ${percentile(latencies, 50).toFixed(0)} ms   p99 ${percentile(latencies, 99).toFixed(0)} ms   max ${Math.max(...latencies).toFixed(0)} ms   (${latencies.length} statuses, ${missing} missing after ${drainSeconds.toFixed(1)} s of drain)`,
  );
  console.log(
    `a run from its start to its finish (in the engine)   p50 ${Number(inEngine[0]!.p50).toFixed(0)} ms   p99 ${Number(inEngine[0]!.p99).toFixed(0)} ms`,
  );
  console.log(
    `  ${phases.map((p) => `${p.phase} p50 ${Number(p.p50).toFixed(0)} / p99 ${Number(p.p99).toFixed(0)} ms`).join('; ')}`,
  );
  console.log(
    `evaluations ${evaluations} in ${busySeconds.toFixed(1)} s from the first delivery to the last status: ${(evaluations / busySeconds).toFixed(0)} evaluations/s`,
  );
  console.log(
    `provider calls per evaluation: ${(stats.restRequests / evaluations).toFixed(2)} GitHub REST (${stats.restRequests}), ${(stats.graphqlRequests / evaluations).toFixed(2)} GraphQL; installation tokens minted ${stats.tokensIssued - tokensBefore}; REST by route ${JSON.stringify(stats.byRoute)}`,
  );
  // A figure measured while GitHub refused calls measures the failure path, not the rules.
  console.log(
    `statuses: ${verdicts.evaluated} evaluated, ${verdicts.failedOpen} failing open, ${verdicts.breakerOpen} with the breaker open; ` +
      `GitHub refused ${stats.rateLimited} calls for the rate limit, ${stats.secondaryLimited} for secondary limits, failed ${stats.injectedFailures}`,
  );
  console.log(
    `Postgres round trips per evaluation: rules-engine ${(tripsDuring('rules-engine') / evaluations).toFixed(1)}, integration-service ${(tripsDuring('integration-service') / evaluations).toFixed(1)}; per delivery sent: api-gateway ${(tripsDuring('api-gateway') / total).toFixed(1)}`,
  );
  console.log(
    `rules-engine RSS ${rssMb(engineChild.pid!).toFixed(0)} MB now, peak ${peakRssMb(engineChild.pid!).toFixed(0)} MB`,
  );
  // Every process on the machine, the bench's own (simulators and load) as `node`: on two cores
  // the services share the CPU with Postgres and NATS, so their sum is what bounds the rate.
  const cpuWall = ((performance.now() - wallBefore) / 1000).toFixed(1);
  console.log(
    `CPU during the load and drain (${cpuWall} s of wall time): ${cpuSince(cpuBefore)
      .filter(([, ms]) => ms >= 100)
      .map(([name, ms]) => `${name} ${(ms / 1000).toFixed(1)} s`)
      .join(', ')}`,
  );
  await client.end();
} finally {
  for (const child of [...children].reverse()) await stop(child);
  await github.close();
  await slack.close();
  for (const service of [...SERVICES, 'rules-engine'])
    rmSync(`/tmp/${db.url.split('/').pop()}-${service}.pg-round-trips`, { force: true });
  await nats.dispose();
  await db.dispose();
}
