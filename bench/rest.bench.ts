import type { ChildProcess } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { NatsServerFixture, PostgresFixture } from '#libs/testing/src/index.js';
import { WorkspaceStore } from '../apps/api-gateway/src/auth/workspace-store.js';
import { autocannon } from './support/autocannon.js';
import { cpuMs } from './support/proc.js';
import {
  SERVICES,
  serviceEnv,
  startService,
  stop,
  untilReady,
  type Service,
} from './support/services.js';
import { openGatewayDataSource } from './support/workspaces.js';

/**
 * `npm run bench:rest`: the REST list (`limit=100`) over 10,000 integrations in one org at 50
 * connections, beside `GET /api/integrations` (an org of 10, and the same org of 10,000), in one
 * run; page 1 against page 90 of the same list, as served (page cache on), as rendered (a second
 * gateway replica with REST_LIST_CACHE_TTL_MS=0, reached with the first replica's cursors), and
 * as the query plan's own cost (EXPLAIN ANALYZE). Each row also gives the gateway's CPU time per
 * request, read from /proc: the machine is shared, so latency figures move with its load.
 *
 * The three services run as built processes (as `npm start` runs them) on a private nats-server
 * and a fresh database. A few integrations are created through the REST API (bus, event store,
 * projection); the 10,000 are then seeded straight into the gateway's read model
 * (`gateway.integrations`) with one INSERT ... SELECT, as the projection would have written them:
 * the figure is about the read path, and 10,000 commands through the bus would take minutes here.
 * DURATION (seconds per measurement, default 10), CONNECTIONS (default 50), COUNT (default 10000);
 * PROFILE=<dir> writes a CPU profile of the gateway there.
 */
const DURATION = Number(process.env.DURATION ?? 10);
const CONNECTIONS = Number(process.env.CONNECTIONS ?? 50);
const COUNT = Number(process.env.COUNT ?? 10_000);
const VERSION = '2026-03-25';
const JSONAPI = 'application/vnd.api+json';

function profileFlags(service: string): string[] {
  const dir = process.env.PROFILE;
  return dir && service === 'api-gateway' ? ['--cpu-prof', `--cpu-prof-dir=${dir}`] : [];
}

const loadBefore = loadavg();
const nats = await NatsServerFixture.start();
const db = await PostgresFixture.create('bench_rest');
const env = serviceEnv(nats, db);
const children: ChildProcess[] = [];
const startProcess = (service: Service, extraEnv: Record<string, string> = {}) =>
  startService(service, { ...env, ...extraEnv }, children, { nodeArgs: profileFlags(service) });
let gatewayUrl = '';
try {
  for (const service of SERVICES) gatewayUrl = (await startProcess(service)).url;
  const gateway = children.at(-1)!;
  // A second gateway replica with the list page cache off: what a page costs to render.
  const uncached = await startProcess('api-gateway', { REST_LIST_CACHE_TTL_MS: '0' });
  await untilReady(`${gatewayUrl}/health/ready`, gateway);

  const dataSource = await openGatewayDataSource(db.url, 'bench-rest');
  const { workspaceId: orgId, token } = await new WorkspaceStore(dataSource).createWorkspace(
    'bench',
    'owner@bench.io',
  );
  const headers = { authorization: `Token ${token}`, accept: JSONAPI };
  const base = `${gatewayUrl}/rest/orgs/${orgId}/integrations`;

  // Through the whole write path first: the REST API, the bus, the event store, the projection.
  for (let i = 0; i < 5; i++) {
    const response = await fetch(`${base}?version=${VERSION}`, {
      method: 'POST',
      headers: { ...headers, 'content-type': JSONAPI },
      body: JSON.stringify({
        data: {
          type: 'integration',
          attributes: {
            integration_type: 'ecr',
            profile_name: `via-bus-${i}`,
            credentials: { region: 'us-east-1', role_arn: `arn:aws:iam::123456789012:role/r${i}` },
          },
        },
      }),
    });
    if (response.status !== 201)
      throw new Error(`create: ${response.status} ${await response.text()}`);
  }
  /** `count` connected ECR integrations named `<prefix>1..count`, as the projection writes them. */
  const seed = (workspaceId: string, prefix: string, count: number) =>
    dataSource.query(
      `INSERT INTO gateway.integrations (id, workspace_id, provider, kind, profile_name, status,
         config, settings, has_credentials, created_at, updated_at, connected_at, version, position)
       SELECT gen_random_uuid(), $1, 'ecr', 'container-registry', $3::text || n, 'connected',
         '{}'::jsonb, '{"broker_enabled": false, "container_app_scan_enabled": false}'::jsonb, true,
         now(), now(), now(), 1, 0
       FROM generate_series(1, $2) AS n`,
      [workspaceId, count, prefix],
    );
  const seeded = performance.now();
  await seed(orgId, 'seeded-', COUNT - 5);
  // A second org of ten, for /api/integrations at a size it is meant for (it returns them all).
  const small = await new WorkspaceStore(dataSource).createWorkspace('small', 'owner@small.io');
  await seed(small.workspaceId, 'small-', 10);
  await dataSource.query(`ANALYZE gateway.integrations`);
  const seedMs = performance.now() - seeded;

  // Walk to page 90 by following `links.next`, as a client would.
  let url = `${base}?version=${VERSION}&limit=100`;
  const page1 = url;
  for (let page = 1; page < 90; page++) {
    const body = (await (await fetch(url, { headers })).json()) as { links: { next?: string } };
    if (!body.links.next) throw new Error(`no page ${page + 1}`);
    url = `${gatewayUrl}${body.links.next}`;
  }
  const page90 = url;
  const check = (await (await fetch(page90, { headers })).json()) as { data: unknown[] };
  if (check.data.length !== 100) throw new Error(`page 90 has ${check.data.length} rows`);

  const run = async (
    name: string,
    target: string,
    {
      auth = headers as Record<string, string>,
      timeout = 10,
      connections = CONNECTIONS,
      pid = gateway.pid!,
    } = {},
  ) => {
    await autocannon({ url: target, headers: auth, connections, duration: 2, timeout });
    const cpuBefore = cpuMs(pid);
    const r = await autocannon({
      url: target,
      headers: auth,
      connections,
      duration: DURATION,
      timeout,
    });
    // Gateway CPU per completed request: a figure the other tenants of this machine disturb less.
    const cpuPerRequest = (cpuMs(pid) - cpuBefore) / Math.max(1, r.requests.total);
    // Let the gateway finish what the run left in flight before the next one starts.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    return { name, connections, cpuPerRequest, ...r };
  };
  const onReplica = (target: string) => target.replace(gatewayUrl, uncached.url);
  const replica = { pid: uncached.child.pid! };
  const smallHeaders = { authorization: `Token ${small.token}` };
  const results = [
    await run('REST list limit=100, page 1', page1),
    await run('REST list limit=100, page 90', page90),
    await run('REST page 1, cache off', onReplica(page1), replica),
    await run('REST page 90, cache off', onReplica(page90), replica),
    // One connection: what a page costs without queueing behind 49 others.
    await run('REST page 1, cache off, alone', onReplica(page1), { ...replica, connections: 1 }),
    await run('REST page 90, cache off, alone', onReplica(page90), { ...replica, connections: 1 }),
    await run('GET /api/integrations (org of 10)', `${gatewayUrl}/api/integrations`, {
      auth: smallHeaders,
    }),
    await run('GET /api/integrations (org of 10,000)', `${gatewayUrl}/api/integrations`, {
      timeout: 60,
    }),
  ];

  // The keyset scan at the heart of the store's page query, at both depths: one index range scan
  // either way, touching the same number of buffers.
  const COLUMNS = `id, list_position, provider, profile_name, status, created_at, updated_at`;
  const explain = async (sql: string, params: unknown[]) => {
    const rows: { 'QUERY PLAN': string }[] = await dataSource.query(
      `EXPLAIN (ANALYZE, BUFFERS) ${sql}`,
      params,
    );
    const text = rows.map((r) => r['QUERY PLAN']).join('\n');
    return {
      node: /(Index Scan|Index Only Scan|Seq Scan|Sort)[^\n(]*/.exec(text)?.[0]?.trim(),
      buffers: /Buffers: shared hit=(\d+)/.exec(text)?.[1],
      ms: /Execution Time: ([\d.]+) ms/.exec(text)?.[1],
    };
  };
  const [at8900] = await dataSource.query(
    `SELECT list_position::text AS p, id FROM gateway.integrations WHERE workspace_id = $1
      ORDER BY list_position, id OFFSET 8899 LIMIT 1`,
    [orgId],
  );
  const plans = {
    page1: await explain(
      `SELECT ${COLUMNS} FROM gateway.integrations WHERE workspace_id = $1
        ORDER BY list_position, id LIMIT 101`,
      [orgId],
    ),
    page90: await explain(
      `SELECT ${COLUMNS} FROM gateway.integrations
        WHERE workspace_id = $1 AND (list_position, id) > ($2::bigint, $3::uuid)
        ORDER BY list_position, id LIMIT 101`,
      [orgId, at8900.p, at8900.id],
    ),
  };
  await dataSource.destroy();

  console.log(
    `rest bench: ${COUNT} integrations in one org, ${CONNECTIONS} connections, ${DURATION} s each ` +
      `(node ${process.version}, ${new Date().toISOString()}; seeded ${COUNT - 5} rows in ${seedMs.toFixed(0)} ms;` +
      ` ${cpus().length} cores, load average before ${loadBefore.map((l) => l.toFixed(1)).join(' ')})`,
  );
  console.log(
    'endpoint                                    conns   req/s   p50 ms   p99 ms  cpu ms/req  non-2xx/err',
  );
  for (const r of results) {
    console.log(
      `${r.name.padEnd(44)} ${String(r.connections).padStart(5)} ${r.requests.average.toFixed(0).padStart(6)}  ${String(r.latency.p50).padStart(7)}  ${String(r.latency.p99).padStart(7)}  ${r.cpuPerRequest.toFixed(2).padStart(10)}  ${`${r.non2xx}/${r.errors + r.timeouts}`.padStart(8)}`,
    );
  }
  console.log(
    `query plan, page 1:  ${plans.page1.node}; shared buffers hit ${plans.page1.buffers}; ${plans.page1.ms} ms`,
  );
  console.log(
    `query plan, page 90: ${plans.page90.node}; shared buffers hit ${plans.page90.buffers}; ${plans.page90.ms} ms`,
  );
} finally {
  await Promise.all(children.map(stop));
  await nats.dispose();
  await db.dispose();
}
