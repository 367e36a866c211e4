import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from './nats-server.js';

/** The machine's own PostgreSQL server binaries (Debian keeps them per version), newest first. */
export function findPostgresBinaries(): { initdb: string; postgres: string } | undefined {
  const versions = existsSync('/usr/lib/postgresql')
    ? readdirSync('/usr/lib/postgresql').sort().reverse()
    : [];
  const dirs = [
    ...(process.env.PATH ?? '').split(':'),
    ...versions.map((v) => `/usr/lib/postgresql/${v}/bin`),
  ];
  const find = (name: string) => dirs.map((d) => join(d, name)).find((p) => existsSync(p));
  const initdb = find('initdb');
  const postgres = find('postgres');
  return initdb && postgres ? { initdb, postgres } : undefined;
}

/**
 * A PostgreSQL cluster of its own (initdb into a folder, its own port) from the machine's
 * binaries: `npm start` keeps one under `.data/`, and fault tests and benches kill one outright
 * and start it again, which the shared server on 5432 must never suffer. initdb refuses to run
 * as root, so as root the cluster belongs to the `postgres` system user.
 */
export class PostgresCluster {
  private child: ChildProcess | undefined;

  private constructor(
    readonly dir: string,
    readonly port: number,
    private readonly binaries: { initdb: string; postgres: string },
    /** A folder made for it, removed by `dispose()`. */
    private readonly temporary: string | undefined,
  ) {}

  /** Starts the cluster in `dir` (created by initdb if empty), or in a temporary folder. */
  static async start(options: { dir?: string; port?: number } = {}): Promise<PostgresCluster> {
    const binaries = findPostgresBinaries();
    if (!binaries) throw new Error('PostgreSQL server binaries (initdb, postgres) not found');
    let temporary: string | undefined;
    let dir = options.dir;
    if (!dir) {
      temporary = mkdtempSync(join(tmpdir(), 'pg-cluster-'));
      chmodSync(temporary, 0o755); // the server may run as `postgres`, not as this user
      dir = join(temporary, 'data');
    }
    const cluster = new PostgresCluster(
      dir,
      options.port ?? (await freePort()),
      binaries,
      temporary,
    );
    cluster.initdb();
    await cluster.resume();
    return cluster;
  }

  /** The `postgres` database; `databaseUrl(name)` for another. */
  get url(): string {
    return this.databaseUrl('postgres');
  }

  databaseUrl(name: string): string {
    return `postgres://postgres@127.0.0.1:${this.port}/${encodeURIComponent(name)}`;
  }

  async createDatabase(name: string): Promise<string> {
    const client = new pg.Client({ connectionString: this.url });
    await client.connect();
    try {
      await client.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
    } finally {
      await client.end();
    }
    return this.databaseUrl(name);
  }

  /** Starts the server (again) on the same folder and port; crash recovery runs if it died. */
  async resume(): Promise<void> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const child = spawn(
        ...this.asOwner(this.binaries.postgres, [
          '-D',
          this.dir,
          '-p',
          String(this.port),
          '-h',
          '127.0.0.1',
          '-k',
          this.dir,
        ]),
        { stdio: 'ignore' },
      );
      this.child = child;
      // A killed server's backends may linger a moment holding its shared memory: try again.
      if (await this.untilAccepting(deadline, child)) return;
      if (Date.now() > deadline) throw new Error(`postgres on ${this.port} did not start`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /** SIGKILL to the server and every backend, as a machine losing the process would. */
  async kill(): Promise<void> {
    const pid = this.postmasterPid();
    const victims = pid ? [pid, ...childrenOf(pid)] : [];
    for (const victim of victims) {
      try {
        process.kill(victim, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    while (victims.some((v) => existsSync(`/proc/${v}`) && !isZombie(v))) {
      await new Promise((r) => setTimeout(r, 20));
    }
    await this.childExit();
  }

  /** Fast shutdown (SIGINT): sessions end, the server checkpoints and exits. */
  async stop(): Promise<void> {
    const pid = this.postmasterPid();
    if (pid) {
      try {
        process.kill(pid, 'SIGINT');
      } catch {
        // already gone
      }
    }
    await this.childExit();
  }

  async dispose(): Promise<void> {
    await this.stop();
    if (this.temporary) rmSync(this.temporary, { recursive: true, force: true });
  }

  private initdb(): void {
    if (existsSync(join(this.dir, 'PG_VERSION'))) return;
    mkdirSync(this.dir, { recursive: true });
    if (asRoot()) spawnSync('chown', ['-R', 'postgres', this.dir]);
    const [command, args] = this.asOwner(this.binaries.initdb, [
      '-D',
      this.dir,
      '-U',
      'postgres',
      '--auth=trust',
      '-E',
      'UTF8',
    ]);
    const result = spawnSync(command, args, { stdio: 'pipe', encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`initdb failed: ${result.stderr}`);
  }

  private asOwner(command: string, args: string[]): [string, string[]] {
    return asRoot() ? ['runuser', ['-u', 'postgres', '--', command, ...args]] : [command, args];
  }

  private postmasterPid(): number | undefined {
    try {
      const pid = Number(readFileSync(join(this.dir, 'postmaster.pid'), 'utf8').split('\n')[0]);
      return pid > 0 && existsSync(`/proc/${pid}`) ? pid : undefined;
    } catch {
      return undefined;
    }
  }

  private async childExit(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((r) => child.once('exit', () => r()));
  }

  private async untilAccepting(deadline: number, child: ChildProcess): Promise<boolean> {
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) return false;
      const client = new pg.Client({ connectionString: this.url, connectionTimeoutMillis: 1_000 });
      try {
        await client.connect();
        await client.query('SELECT 1');
        return true;
      } catch {
        if (Date.now() > deadline) return false;
        await new Promise((r) => setTimeout(r, 100));
      } finally {
        await client.end().catch(() => undefined);
      }
    }
  }
}

const asRoot = () => process.getuid?.() === 0;

function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true;
  }
}

/** The processes whose parent is `pid` (Linux /proc). */
function childrenOf(pid: number): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((entry) => {
      try {
        const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid;
      } catch {
        return false;
      }
    })
    .map(Number);
}
