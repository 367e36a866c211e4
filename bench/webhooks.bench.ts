import type { ChildProcess } from 'node:child_process';
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import { Webhooks } from '@octokit/webhooks';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { GITHUB_WEBHOOK_CONSUMER, Streams } from '#libs/contracts/src/index.js';
import { NatsServerFixture, PostgresFixture } from '#libs/testing/src/index.js';
import { startGithubSimulator } from '../tools/github-simulator/src/index.js';
import { autocannon } from './support/autocannon.js';
import { SERVICES, serviceEnv, startService, stop } from './support/services.js';
import { percentile } from './support/stats.js';
import { withWorkspaceStore } from './support/workspaces.js';

/**
 * `npm run bench:webhooks`, in one run, on loopback, the three services as built processes (as
 * `npm start` runs them) on a private nats-server, a fresh database and the GitHub simulator:
 *  1. signed deliveries (a real `push` payload from @octokit/webhooks-examples, a fresh
 *     X-GitHub-Delivery per request) POSTed to /api/webhooks/github at CONNECTIONS connections for
 *     DURATION seconds: deliveries accepted per second (202 after the JetStream ack) and p50/p99
 *     time to 202, first as fast as the connections go, then at RATE deliveries/s offered
 *     (default 1,000, the aim's rate);
 *  2. VISIBLE_SAMPLES `repository.created` deliveries, one at a time, each for a repository just
 *     added to the simulator: time from the 202 to the repository showing in
 *     GET /api/integrations/github/repos (polled every 5 ms), p50/p99.
 */
const require = createRequire(import.meta.url);
const examples = require('@octokit/webhooks-examples') as Array<{
  name: string;
  examples: Array<Record<string, any>>;
}>;
const example = (event: string, action?: string) =>
  structuredClone(
    examples
      .find((d) => d.name === event)!
      .examples.find((e) => action === undefined || e.action === action)!,
  );

const DURATION = Number(process.env.DURATION ?? 10);
const CONNECTIONS = Number(process.env.CONNECTIONS ?? 50);
const VISIBLE_SAMPLES = Number(process.env.VISIBLE_SAMPLES ?? 100);
const RATE = Number(process.env.RATE ?? 1000);
const SECRET = randomBytes(20).toString('hex');

const webhooks = new Webhooks({ secret: SECRET });
async function deliver(gateway: string, event: string, payload: unknown) {
  const body = JSON.stringify(payload);
  const response = await fetch(`${gateway}/api/webhooks/github`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-github-event': event,
      'x-github-delivery': randomUUID(),
      'x-hub-signature-256': await webhooks.sign(body),
    },
    body,
  });
  return { status: response.status, body: (await response.json()) as { status?: string } };
}

const nats = await NatsServerFixture.start();
const db = await PostgresFixture.create('bench_webhooks');
const sim = await startGithubSimulator({ repos: 20, seed: 5 });
const env = serviceEnv(nats, db, {
  GITHUB_API_URL: sim.url,
  GITHUB_APP_ID: String(sim.appId),
  GITHUB_APP_PRIVATE_KEY_PATH: sim.privateKeyPath,
  GITHUB_WEBHOOK_SECRET: SECRET,
  GITHUB_CONNECT_REQUIRES_INSTALL_FLOW: 'false',
});
const children: ChildProcess[] = [];
/** Waits until the scanner has processed every stored delivery; the seconds it took. */
async function drained(): Promise<number> {
  const started = performance.now();
  const nc = await connect({ servers: nats.url });
  const jsm = await jetstreamManager(nc);
  for (;;) {
    const info = await jsm.consumers.info(Streams.githubWebhooks.name, GITHUB_WEBHOOK_CONSUMER);
    if (info.num_pending === 0 && info.num_ack_pending === 0) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  await nc.close();
  return (performance.now() - started) / 1000;
}
try {
  let gateway = '';
  for (const service of SERVICES) gateway = (await startService(service, env, children)).url;

  const owner = await withWorkspaceStore(db.url, 'bench-webhooks', (store) =>
    store.createWorkspace('bench', 'owner@bench.io'),
  );
  const auth = { authorization: `Token ${owner.token}` };
  const connected = await fetch(`${gateway}/api/integrations/github/connect`, {
    method: 'POST',
    headers: { ...auth, 'content-type': 'application/json' },
    body: JSON.stringify({
      installationId: String(sim.installationId),
      accountLogin: sim.org.login,
    }),
  });
  if (connected.status !== 201) throw new Error(`connect: ${connected.status}`);
  const installation = { id: sim.installationId };
  for (;;) {
    const ping = await deliver(gateway, 'ping', { ...example('ping'), installation });
    if (ping.body.status === 'accepted') break;
    await new Promise((r) => setTimeout(r, 50));
  }

  // 1. Throughput and time to 202.
  const push = { ...example('push'), installation };
  const pushBody = JSON.stringify(push);
  // Each push is a new one (its own head commit), as GitHub's are: intake takes a body it has
  // already accepted under another delivery id as a replay.
  const freshPush = () => {
    const body = JSON.stringify({ ...push, after: randomBytes(20).toString('hex') });
    const signature = `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`;
    return { body, signature };
  };
  const request = (duration: number, connections: number, overallRate?: number) =>
    autocannon({
      url: `${gateway}/api/webhooks/github`,
      connections,
      duration,
      ...(overallRate ? { overallRate } : {}),
      requests: [
        {
          method: 'POST',
          setupRequest: (req: { headers: Record<string, string> }) => {
            const { body, signature } = freshPush();
            return {
              ...req,
              body,
              headers: {
                ...req.headers,
                'content-type': 'application/json',
                'x-github-event': 'push',
                'x-github-delivery': randomUUID(),
                'x-hub-signature-256': signature,
              },
            };
          },
        },
      ],
    });
  console.log(
    `bench:webhooks: ${DURATION} s at ${CONNECTIONS} connections, loopback, push payload ${pushBody.length} bytes; ${VISIBLE_SAMPLES} repository.created samples`,
  );
  await request(2, 10); // warm-up: JIT, connection pools
  const intake = await request(DURATION, CONNECTIONS);
  const accepted = intake.statusCodeStats['202']?.count ?? 0;
  console.log(
    `intake  ${(accepted / DURATION).toFixed(0).padStart(6)} deliveries/s accepted (202)   p50 ${intake.latency.p50} ms   p99 ${intake.latency.p99} ms   non-2xx ${intake.non2xx}   errors ${intake.errors}   (as fast as ${CONNECTIONS} connections go)`,
  );
  // Flat out, time to 202 is mostly queueing (connections / throughput); at the aim's rate it
  // shows what a sender sees when the gateway is not saturated.
  await drained();
  const paced = await request(DURATION, CONNECTIONS, RATE);
  const pacedAccepted = paced.statusCodeStats['202']?.count ?? 0;
  console.log(
    `intake  ${(pacedAccepted / DURATION).toFixed(0).padStart(6)} deliveries/s accepted (202)   p50 ${paced.latency.p50} ms   p99 ${paced.latency.p99} ms   non-2xx ${paced.non2xx}   errors ${paced.errors}   (${RATE}/s offered over ${CONNECTIONS} connections)`,
  );

  // 2. 202 -> visible in github/repos, once the scanner has worked off the backlog from (1).
  const drainedIn = await drained();
  console.log(
    `backlog of ${paced.requests.total} deliveries processed by the scanner ${drainedIn.toFixed(1)} s after the load ended`,
  );
  const visible: number[] = [];
  const template = sim.org.repos[0]!;
  for (let i = 0; i < VISIBLE_SAMPLES; i++) {
    const name = `bench-born-${i}`;
    const repo = { ...template, id: 990_000 + i, name, private: false, collaborators: [] };
    sim.org.repos.push(repo);
    const payload = example('repository', 'created');
    Object.assign(payload.repository, {
      id: repo.id,
      name,
      full_name: `${sim.org.login}/${name}`,
      private: false,
      updated_at: new Date().toISOString(),
    });
    payload.repository.owner.login = sim.org.login;
    payload.installation = installation;
    const answer = await deliver(gateway, 'repository', payload);
    const accepted = performance.now();
    if (answer.status !== 202) throw new Error(`repository.created: ${answer.status}`);
    let last = '';
    for (;;) {
      const response = await fetch(`${gateway}/api/integrations/github/repos?search=${name}`, {
        headers: auth,
      });
      const page = (await response.json()) as { repos?: Array<{ name: string }> };
      if (page.repos?.some((r) => r.name === `${sim.org.login}/${name}`)) break;
      last = `${response.status} ${JSON.stringify(page).slice(0, 300)}`;
      if (performance.now() - accepted > 60_000) {
        throw new Error(`${name} never became visible (last answer: ${last})`);
      }
      await new Promise((r) => setTimeout(r, 5));
    }
    visible.push(performance.now() - accepted);
  }
  console.log(
    `visible p50 ${percentile(visible, 50).toFixed(1)} ms   p99 ${percentile(visible, 99).toFixed(1)} ms   max ${Math.max(...visible).toFixed(1)} ms   (202 -> in github/repos, ${visible.length} samples)`,
  );
} finally {
  for (const child of children.reverse()) await stop(child);
  await sim.close();
  await nats.dispose();
  await db.dispose();
}
