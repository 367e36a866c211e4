import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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
  ) {
    if (users) this.passwords = generateBusPasswords();
  }

  static async start(options: { users?: boolean } = {}): Promise<NatsServerFixture> {
    const fixture = new NatsServerFixture(
      await freePort(),
      mkdtempSync(join(tmpdir(), 'nats-fixture-')),
      options.users ?? false,
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
    this.process = spawn(binary, args, { stdio: 'ignore' });
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
