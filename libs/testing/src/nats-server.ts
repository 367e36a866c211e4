import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A real nats-server with JetStream on a free port and its own store, per test file: tests never
 * share streams, and one can stop and restart the bus under a running service.
 */
export class NatsServerFixture {
  private process: ChildProcess | undefined;
  private constructor(
    readonly port: number,
    private readonly storeDir: string,
    /** More command-line options (a cluster's, for one). */
    private readonly extraArgs: readonly string[] = [],
  ) {}

  static async start(options: { extraArgs?: readonly string[] } = {}): Promise<NatsServerFixture> {
    const fixture = new NatsServerFixture(
      await freePort(),
      mkdtempSync(join(tmpdir(), 'nats-fixture-')),
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
      extraArgs,
    );
    await fixture.resume();
    return fixture;
  }

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  /** Starts (again) on the same port and store, as a bus that comes back would. */
  async resume(): Promise<void> {
    const binary = process.env.NATS_SERVER_BIN ?? 'nats-server';
    this.process = spawn(
      binary,
      ['-a', '127.0.0.1', '-p', String(this.port), '-js', '-sd', this.storeDir, ...this.extraArgs],
      { stdio: 'ignore' },
    );
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

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
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
