import { tracingNodeArgs } from '#libs/observability/src/node-args.js';
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { freePort, type NatsServerFixture, type PostgresFixture } from '#libs/testing/src/index.js';

/**
 * The three services as built processes, as `npm start` runs them. The gateway is ready only
 * when the others answer, so it comes last.
 */
export const SERVICES = ['integration-service', 'scanner-service', 'api-gateway'] as const;
/** The rules engine runs in the benches that need it (bench:rules), after the three. */
export type Service = (typeof SERVICES)[number] | 'rules-engine';

/** The environment every service needs against a private nats-server and database; `extra` adds to it. */
export function serviceEnv(
  nats: NatsServerFixture,
  db: PostgresFixture,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    NATS_URL: nats.url,
    DATABASE_URL: db.url,
    LOG_LEVEL: 'warn',
    CREDENTIALS_MASTER_KEY: randomBytes(32).toString('base64'),
    GATEWAY_SIGNING_KEY: randomBytes(32).toString('base64'),
    ...extra,
  };
}

/**
 * BENCH_CPU_PROFILE_DIR=<dir> writes each service's V8 CPU profile (`.cpuprofile`, readable in
 * Chrome's DevTools) to <dir>/<service> when the bench stops it, to see where a figure's time goes.
 */
function profileNodeArgs(service: Service): string[] {
  const dir = process.env.BENCH_CPU_PROFILE_DIR;
  return dir ? ['--cpu-prof', `--cpu-prof-dir=${dir}/${service}`] : [];
}

/** Spawns a built service listening on `port`; `nodeArgs` go before its entry point. */
export function spawnService(
  service: Service,
  env: Record<string, string>,
  port: number,
  {
    nodeArgs = [],
    stdio = ['ignore', 'ignore', 'inherit'],
  }: { nodeArgs?: string[]; stdio?: StdioOptions } = {},
): ChildProcess {
  return spawn(
    process.execPath,
    [
      ...tracingNodeArgs(),
      ...profileNodeArgs(service),
      ...nodeArgs,
      `dist/apps/${service}/src/main.js`,
    ],
    {
      env: { ...env, PORT: String(port) },
      stdio,
    },
  );
}

/**
 * Polls `url` until it answers as `ready` says (by default a 2xx), the child exits, or
 * `timeoutMs` passes.
 */
export async function untilReady(
  url: string,
  child: ChildProcess,
  {
    ready = (status: number) => status >= 200 && status < 300,
    intervalMs = 50,
    timeoutMs = 60_000,
  }: { ready?: (status: number) => boolean; intervalMs?: number; timeoutMs?: number } = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${url}: exited with ${child.exitCode}`);
    const ok = await fetch(url).then(
      (r) => ready(r.status),
      () => false,
    );
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`${url}: not ready after ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/**
 * Spawns a service on a free port, adds it to `children` (so the caller's teardown stops it
 * even if it never gets ready) and waits for /health/live.
 */
export async function startService(
  service: Service,
  env: Record<string, string>,
  children: ChildProcess[],
  options: { nodeArgs?: string[]; ready?: (status: number) => boolean } = {},
): Promise<{ child: ChildProcess; url: string }> {
  const port = await freePort();
  const child = spawnService(service, env, port, { nodeArgs: options.nodeArgs });
  children.push(child);
  await untilReady(`http://127.0.0.1:${port}/health/live`, child, { ready: options.ready });
  return { child, url: `http://127.0.0.1:${port}` };
}

/** SIGTERM, resolved once the process has exited. */
export function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}
