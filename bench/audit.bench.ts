import type { ChildProcess } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import pg from 'pg';
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
 * `npm run bench:audit`: `GET /api/audit-log?limit=100` over COUNT (default 1,000,000) entries in
 * one workspace, page 1 against a deep page (the page after the 900,000th entry, by its cursor),
 * newest first as served and with a filter (`resource_type=rule`), at CONNECTIONS (default 10)
 * and alone; p50 and p99 from autocannon, the gateway's CPU per request from /proc, and the
 * query plans (EXPLAIN ANALYZE) of both pages.
 *
 * The three services run as built processes on a private nats-server and a fresh database. A few
 * entries come through the whole path (the API, the bus, the event store, the projection); the
 * million are then seeded into `gateway.audit_log` with one INSERT ... SELECT, shaped as the
 * projection writes them: the figure is about the read path.
 * DURATION (seconds per measurement, default 10), CONNECTIONS, COUNT.
 */
const DURATION = Number(process.env.DURATION ?? 10);
const CONNECTIONS = Number(process.env.CONNECTIONS ?? 10);
const COUNT = Number(process.env.COUNT ?? 1_000_000);
const DEEP = Math.floor(COUNT * 0.9);

const loadBefore = loadavg();
const nats = await NatsServerFixture.start();
const db = await PostgresFixture.create('bench_audit');
// The read path is measured, not the per-key rate limit (bench:gateway measures that).
const env = serviceEnv(nats, db, { RATE_LIMITS_ENABLED: 'false' });
const children: ChildProcess[] = [];
try {
  let gatewayUrl = '';
  for (const service of SERVICES as readonly Service[]) {
    gatewayUrl = (await startService(service, env, children)).url;
  }
  const gateway = children.at(-1)!;
  await untilReady(`${gatewayUrl}/health/ready`, gateway);
  const dataSource = await openGatewayDataSource(db.url, 'bench-audit');
  const { workspaceId, memberId, token } = await new WorkspaceStore(dataSource).createWorkspace(
    'bench',
    'owner@bench.io',
  );
  const headers = { authorization: `Token ${token}` };

  // Through the whole path first: a few changes, in the log by the time the answer comes.
  for (let i = 0; i < 3; i++) {
    const response = await fetch(`${gatewayUrl}/api/rules`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify({
        name: `via the bus ${i}`,
        trigger: { event: 'pull_request.opened' },
        conditions: [{ provider: 'github', check: 'pr.age', operator: 'gt', value: 48 }],
        actions: [{ provider: 'github', method: 'add_label', params: { label: 'stale' } }],
      }),
    });
    if (response.status !== 201) throw new Error(`rule: ${response.status}`);
  }
  const viaBus = (await (
    await fetch(`${gatewayUrl}/api/audit-log?limit=100`, { headers })
  ).json()) as { entries: unknown[] };
  if (viaBus.entries.length < 3) throw new Error(`${viaBus.entries.length} entries via the bus`);

  // The million, one statement: a year of changes a few per minute, across 1,000 resources.
  const seeded = performance.now();
  // Its own connection: the services' pools give up on a statement after 10 s.
  const seeder = new pg.Client({ connectionString: db.url });
  await seeder.connect();
  await seeder.query(
    `INSERT INTO gateway.audit_log (workspace_id, sort_key, event_id, occurred_at, resource_type,
       resource_id, action, actor, actor_type, actor_key_id, actor_label, changes, cause_event_id,
       cause, correlation_id)
     SELECT $1, lpad(((extract(epoch FROM at) * 1000000)::bigint)::text, 16, '0')
                || lpad(n::text, 20, '0') || id::text,
       id, at, kind, md5(kind || (n % 1000)::text)::uuid::text,
       CASE WHEN kind = 'rule' THEN 'rule_created' ELSE 'settings_updated' END,
       $2, 'member', NULL, NULL, '{"provider": "github", "broker_enabled": true}'::jsonb, NULL,
       NULL, id::text
     FROM (SELECT n, gen_random_uuid() AS id,
             now() - interval '365 days' + n * interval '30 seconds' AS at,
             CASE WHEN n % 2 = 0 THEN 'rule' ELSE 'integration' END AS kind
           FROM generate_series(1, $3::int) AS n) AS x`,
    [workspaceId, memberId, COUNT],
  );
  await seeder.query(`VACUUM ANALYZE gateway.audit_log`);
  await seeder.end();
  const seedMs = performance.now() - seeded;

  // The deep page's cursor: the entry DEEP places from the newest, as a client would hold it.
  const [deep] = await dataSource.query(
    `SELECT sort_key FROM gateway.audit_log WHERE workspace_id = $1
      ORDER BY sort_key DESC OFFSET $2 LIMIT 1`,
    [workspaceId, DEEP - 1],
  );
  const cursor = Buffer.from(deep.sort_key as string).toString('base64url');
  const page1 = `${gatewayUrl}/api/audit-log?limit=100`;
  const deepPage = `${page1}&cursor=${cursor}`;
  const filtered = `${page1}&resource_type=rule`;
  for (const url of [page1, deepPage, filtered, `${filtered}&cursor=${cursor}`]) {
    const body = (await (await fetch(url, { headers })).json()) as { entries: unknown[] };
    if (body.entries.length !== 100) throw new Error(`${url}: ${body.entries.length} entries`);
  }

  const run = async (name: string, url: string, connections = CONNECTIONS) => {
    await autocannon({ url, headers, connections, duration: 2 });
    const cpuBefore = cpuMs(gateway.pid!);
    const r = await autocannon({ url, headers, connections, duration: DURATION, timeout: 30 });
    const cpuPerRequest = (cpuMs(gateway.pid!) - cpuBefore) / Math.max(1, r.requests.total);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    return { name, connections, cpuPerRequest, ...r };
  };
  const results = [
    await run('page 1', page1),
    await run(`deep page (after entry ${DEEP})`, deepPage),
    await run('page 1, resource_type=rule', filtered),
    await run('deep page, resource_type=rule', `${filtered}&cursor=${cursor}`),
    await run('page 1, alone', page1, 1),
    await run('deep page, alone', deepPage, 1),
    // Page 1 again, once everything is warm: the first run also pays for the cold cache.
    await run('page 1, again', page1),
  ];

  const explain = async (after: string | null) => {
    const rows: { 'QUERY PLAN': string }[] = await dataSource.query(
      `EXPLAIN (ANALYZE, BUFFERS) SELECT * FROM gateway.audit_log
        WHERE workspace_id = $1 ${after ? 'AND sort_key < $2' : ''}
        ORDER BY sort_key DESC LIMIT 101`,
      after ? [workspaceId, after] : [workspaceId],
    );
    const text = rows.map((r) => r['QUERY PLAN']).join('\n');
    return {
      node: /(Index Scan Backward|Index Scan|Index Only Scan|Seq Scan|Sort)[^\n(]*/
        .exec(text)?.[0]
        ?.trim(),
      buffers: /Buffers: shared hit=(\d+)/.exec(text)?.[1],
      ms: /Execution Time: ([\d.]+) ms/.exec(text)?.[1],
    };
  };
  const plans = { page1: await explain(null), deep: await explain(deep.sort_key) };
  await dataSource.destroy();

  console.log(
    `audit bench: ${COUNT} entries in one workspace, limit=100, ${DURATION} s each ` +
      `(node ${process.version}, ${new Date().toISOString()}; seeded in ${(seedMs / 1000).toFixed(1)} s;` +
      ` ${cpus().length} cores, load average before ${loadBefore.map((l) => l.toFixed(1)).join(' ')})`,
  );
  console.log(
    'GET /api/audit-log                            conns   req/s   p50 ms   p99 ms  cpu ms/req  non-2xx/err',
  );
  for (const r of results) {
    console.log(
      `${r.name.padEnd(44)} ${String(r.connections).padStart(5)} ${r.requests.average.toFixed(0).padStart(6)}  ${String(r.latency.p50).padStart(7)}  ${String(r.latency.p99).padStart(7)}  ${r.cpuPerRequest.toFixed(2).padStart(10)}  ${`${r.non2xx}/${r.errors + r.timeouts}`.padStart(8)}`,
    );
  }
  console.log(
    `query plan, page 1:    ${plans.page1.node}; shared buffers hit ${plans.page1.buffers}; ${plans.page1.ms} ms`,
  );
  console.log(
    `query plan, deep page: ${plans.deep.node}; shared buffers hit ${plans.deep.buffers}; ${plans.deep.ms} ms`,
  );
} finally {
  await Promise.all(children.map(stop));
  await nats.dispose();
  await db.dispose();
}
