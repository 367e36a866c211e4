import type { ChildProcess } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { freePort, NatsServerFixture, PostgresFixture } from '#libs/testing/src/index.js';
import { rssMb } from './support/proc.js';
import { SERVICES, serviceEnv, spawnService, stop, untilReady } from './support/services.js';
import { upperMedian as median } from './support/stats.js';

/**
 * `npm run bench:startup`: for each service, wall time from process spawn to the first 200 from
 * /health/ready, and its resident memory after 3 s idle. Runs each service RUNS times against a
 * private nats-server and a fresh database; reports the median. Aim: < 3 s, < 150 MB.
 */
const RUNS = Number(process.env.RUNS ?? 3);

const nats = await NatsServerFixture.start();
const db = await PostgresFixture.create('bench_startup');
const baseEnv = serviceEnv(nats, db);
const results: Record<string, { readyMs: number[]; rssMb: number[] }> = {};
try {
  for (let run = 0; run < RUNS; run++) {
    const running: ChildProcess[] = [];
    // The gateway is ready only when the others answer, so it starts last, as in `npm start`.
    for (const service of SERVICES) {
      const port = await freePort();
      const started = performance.now();
      const child = spawnService(service, baseEnv, port, { stdio: 'ignore' });
      running.push(child);
      // Polled every 10 ms and never given up on: ready_ms is the figure measured.
      await untilReady(`http://127.0.0.1:${port}/health/ready`, child, {
        intervalMs: 10,
        timeoutMs: Infinity,
      });
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
