import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { freePort, NatsServerFixture, PostgresFixture } from '#libs/testing/src/index.js';

/**
 * `npm run bench:startup`: for each service, wall time from process spawn to the first 200 from
 * /health/ready, and its resident memory after 3 s idle. Runs each service RUNS times against a
 * private nats-server and a fresh database; reports the median. Aim: < 3 s, < 150 MB.
 */
const RUNS = Number(process.env.RUNS ?? 3);
const SERVICES = ['integration-service', 'scanner-service', 'api-gateway'] as const;

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)![1]);
  return kb / 1024;
}

async function untilReady(url: string, child: ChildProcess): Promise<void> {
  for (;;) {
    if (child.exitCode !== null) throw new Error(`exited with ${child.exitCode}`);
    const ok = await fetch(url).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    await new Promise((r) => setTimeout(r, 10));
  }
}

function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

const nats = await NatsServerFixture.start();
const db = await PostgresFixture.create('bench_startup');
const baseEnv = {
  PATH: process.env.PATH ?? '',
  NATS_URL: nats.url,
  DATABASE_URL: db.url,
  LOG_LEVEL: 'warn',
  CREDENTIALS_MASTER_KEY: randomBytes(32).toString('base64'),
};
const results: Record<string, { readyMs: number[]; rssMb: number[] }> = {};
try {
  for (let run = 0; run < RUNS; run++) {
    const running: ChildProcess[] = [];
    // The gateway is ready only when the others answer, so it starts last, as in `npm start`.
    for (const service of SERVICES) {
      const port = await freePort();
      const started = performance.now();
      const child = spawn(process.execPath, [`dist/apps/${service}/src/main.js`], {
        env: { ...baseEnv, PORT: String(port) },
        stdio: 'ignore',
      });
      running.push(child);
      await untilReady(`http://127.0.0.1:${port}/health/ready`, child);
      const entry = (results[service] ??= { readyMs: [], rssMb: [] });
      entry.readyMs.push(performance.now() - started);
    }
    await new Promise((r) => setTimeout(r, 3_000));
    running.forEach((child, i) => results[SERVICES[i]!]!.rssMb.push(rssMb(child.pid!)));
    await Promise.all(running.map(stop));
  }
} finally {
  await nats.dispose();
  await db.dispose();
}

console.log(
  `startup, median of ${RUNS} runs (node ${process.version}, ${new Date().toISOString()})`,
);
console.log('service               ready_ms  idle_rss_mb');
for (const service of SERVICES) {
  const { readyMs, rssMb: rss } = results[service]!;
  console.log(
    `${service.padEnd(20)}  ${median(readyMs).toFixed(0).padStart(8)}  ${median(rss).toFixed(1).padStart(11)}`,
  );
}
