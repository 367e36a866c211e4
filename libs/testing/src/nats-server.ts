import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateBusPasswords, natsServerConfig, type BusUser } from '#libs/messaging/src/index.js';

/**
 * A real nats-server with JetStream on a free port and its own store, per test file: tests never
 * share streams, and one can stop and restart the bus under a running service. With
 * `{ users: true }` it runs the production authorization (one user per service, BUS_USERS, with
 * fresh passwords) and refuses anonymous clients; by default anyone may connect.
 */
export class NatsServerFixture {
  private process: ChildProcess | undefined;
  private readonly passwords?: Record<BusUser, string>;
  private constructor(
    readonly port: number,
    private readonly storeDir: string,
    users: boolean,
    /** More command-line options (a cluster's, for one). */
    private readonly extraArgs: readonly string[] = [],
  ) {
    if (users) this.passwords = generateBusPasswords();
  }

  static async start(
    options: { users?: boolean; extraArgs?: readonly string[] } = {},
  ): Promise<NatsServerFixture> {
    const fixture = new NatsServerFixture(
      await freePort(),
      mkdtempSync(join(tmpdir(), 'nats-fixture-')),
      options.users ?? false,
      options.extraArgs,
    );
    await fixture.resume();
    return fixture;
  }

  /** A server with these options on a port chosen beforehand (a cluster's routes name it). */
  static async startOn(port: number, extraArgs: readonly string[]): Promise<NatsServerFixture> {
    const fixture = new NatsServerFixture(
      port,
      mkdtempSync(join(tmpdir(), 'nats-fixture-')),
      false,
      extraArgs,
    );
    await fixture.resume();
    return fixture;
  }

  /** A bus user's `NATS_USER` and `NATS_PASSWORD` (only with `{ users: true }`). */
  credentials(user: BusUser): { NATS_USER: string; NATS_PASSWORD: string } {
    if (!this.passwords) throw new Error('this nats-server runs without users');
    return { NATS_USER: user, NATS_PASSWORD: this.passwords[user] };
  }

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  /** Starts (again) on the same port and store, as a bus that comes back would. */
  async resume(): Promise<void> {
    const binary = process.env.NATS_SERVER_BIN ?? 'nats-server';
    const passwords = this.passwords;
    let args = ['-a', '127.0.0.1', '-p', String(this.port), '-js', '-sd', this.storeDir];
    if (passwords) {
      const config = join(this.storeDir, 'nats.conf');
      writeFileSync(
        config,
        natsServerConfig({
          listen: `127.0.0.1:${this.port}`,
          storeDir: this.storeDir,
          password: (user) => JSON.stringify(passwords[user]),
        }),
        { mode: 0o600 },
      );
      args = ['-c', config];
    }
    this.process = spawn(binary, [...args, ...this.extraArgs], { stdio: 'ignore' });
    await waitForPort(this.port, 10_000);
  }

  /** Kills the server; clients see the bus go away. */
  async stop(): Promise<void> {
    const child = this.process;
    if (!child || child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
    this.process = undefined;
  }

  async dispose(): Promise<void> {
    await this.stop();
    rmSync(this.storeDir, { recursive: true, force: true });
  }
}

/**
 * Three nats-servers on loopback forming one JetStream cluster (streams at three replicas
 * survive one node's loss). `url` lists all three, as services take `NATS_URL`.
 */
export class NatsClusterFixture {
  private constructor(readonly nodes: NatsServerFixture[]) {}

  static async start(size = 3): Promise<NatsClusterFixture> {
    const clientPorts: number[] = [];
    const routePorts: number[] = [];
    for (let i = 0; i < size; i++) {
      clientPorts.push(await freePort());
      routePorts.push(await freePort());
    }
    const routes = routePorts.map((p) => `nats://127.0.0.1:${p}`).join(',');
    const nodes = await Promise.all(
      clientPorts.map((port, i) =>
        NatsServerFixture.startOn(port, [
          '--server_name',
          `n${i + 1}-${port}`,
          '--cluster_name',
          `fixture-${clientPorts[0]}`,
          '--cluster',
          `nats://127.0.0.1:${routePorts[i]}`,
          '--routes',
          routes,
        ]),
      ),
    );
    const cluster = new NatsClusterFixture(nodes);
    await cluster.untilJetStreamReady();
    return cluster;
  }

  get url(): string {
    return this.nodes.map((n) => n.url).join(',');
  }

  /** Waits until the cluster has elected a JetStream meta leader (it answers account info). */
  async untilJetStreamReady(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const { connect } = await import('@nats-io/transport-node');
    const { jetstreamManager } = await import('@nats-io/jetstream');
    const nc = await connect({ servers: this.nodes.map((n) => n.url) });
    try {
      for (;;) {
        try {
          const jsm = await jetstreamManager(nc, { timeout: 2_000 });
          await jsm.getAccountInfo();
          return;
        } catch (error) {
          if (Date.now() > deadline) throw error;
          await new Promise((r) => setTimeout(r, 250));
        }
      }
    } finally {
      await nc.close();
    }
  }

  async dispose(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.dispose()));
  }
}

/**
 * A port no one listens on, for a server a test starts next. Picked below the kernel's ephemeral
 * range: a port the kernel hands out (`listen(0)`) may be given to an outgoing connection before
 * the server binds it (CI saw EADDRINUSE for a service started that way).
 */
export async function freePort(): Promise<number> {
  ephemeralLow ??= firstEphemeralPort();
  for (;;) {
    const port = 10_000 + Math.floor(Math.random() * (ephemeralLow - 10_000));
    if (await canListen(port)) return port;
  }
}

let ephemeralLow: number | undefined;

function firstEphemeralPort(): number {
  try {
    const low = Number(
      readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0],
    );
    if (low > 11_000) return low;
  } catch {
    // Not Linux: IANA's dynamic range.
  }
  return 49_152;
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = new Socket();
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
      socket.connect(port, '127.0.0.1');
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on ${port} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
