import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort, NatsServerFixture, PostgresFixture, waitFor } from '#libs/testing/src/index.js';

/** The processes whose parent is `pid`, with their command lines (Linux /proc). */
function childrenOf(pid: number): Array<{ pid: number; cmdline: string }> {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .flatMap((entry) => {
      try {
        const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
        const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
        if (ppid !== pid) return [];
        const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ');
        return [{ pid: Number(entry), cmdline }];
      } catch {
        return [];
      }
    });
}

const ready = async (url: string) =>
  fetch(`${url}/health/ready`).then(
    (r) => r.status,
    () => 0,
  );

/** `npm start` keeps the stack up: a service that dies is started again, the others stay. */
describe('npm start supervises its services', () => {
  let nats: NatsServerFixture;
  let db: PostgresFixture;
  let dataDir: string;
  let stack: ChildProcess;
  let output = '';
  const ports = { gateway: 0, integration: 0, scanner: 0 };

  beforeAll(async () => {
    nats = await NatsServerFixture.start();
    db = await PostgresFixture.create('supervision');
    dataDir = mkdtempSync(join(tmpdir(), 'stack-data-'));
    ports.gateway = await freePort();
    ports.integration = await freePort();
    ports.scanner = await freePort();
    stack = spawn(process.execPath, [resolve('dist/scripts/start-stack.js')], {
      env: {
        PATH: process.env.PATH ?? '',
        NATS_URL: nats.url,
        DATABASE_URL: db.url,
        DATA_DIR: dataDir,
        PORT: String(ports.gateway),
        INTEGRATION_SERVICE_PORT: String(ports.integration),
        SCANNER_SERVICE_PORT: String(ports.scanner),
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    stack.stdout!.on('data', (chunk) => (output += chunk));
    stack.stderr!.on('data', (chunk) => (output += chunk));
    await waitFor(() => (output.includes('[stack] ready') ? true : undefined), {
      timeoutMs: 60_000,
      what: `the stack to be ready; output so far:\n${output}`,
    });
  }, 90_000);

  afterAll(async () => {
    if (stack.exitCode === null && stack.signalCode === null) {
      const exited = new Promise((r) => stack.once('exit', r));
      stack.kill('SIGINT');
      await exited;
    }
    rmSync(dataDir, { recursive: true, force: true });
    await db.dispose();
    await nats.dispose();
  });

  test('a service killed with SIGKILL comes back ready; the rest stays up; Ctrl-C stops all', async () => {
    // Given a ready stack
    const integration = `http://127.0.0.1:${ports.integration}`;
    const gateway = `http://127.0.0.1:${ports.gateway}`;
    expect(await ready(integration)).toBe(200);
    const victim = childrenOf(stack.pid!).find((c) => c.cmdline.includes('integration-service'));
    expect(victim).toBeDefined();

    // When the integration service is killed outright
    process.kill(victim!.pid, 'SIGKILL');

    // Then the stack says so and starts it again, and it is ready once more
    await waitFor(
      () =>
        output.includes('integration-service exited (SIGKILL); restarting') ? true : undefined,
      { what: 'the restart line' },
    );
    await waitFor(async () => ((await ready(integration)) === 200 ? true : undefined), {
      timeoutMs: 60_000,
      what: 'the integration service to be ready again',
    });
    const replacement = childrenOf(stack.pid!).find((c) =>
      c.cmdline.includes('integration-service'),
    );
    expect(replacement!.pid).not.toBe(victim!.pid);
    // And the gateway never went away
    expect((await fetch(`${gateway}/health/live`)).status).toBe(200);
    expect(stack.exitCode).toBeNull();

    // When Ctrl-C reaches the stack
    const services = childrenOf(stack.pid!).map((c) => c.pid);
    const exited = new Promise<number | null>((r) => stack.once('exit', (code) => r(code)));
    stack.kill('SIGINT');

    // Then it stops everything it started and exits 0
    expect(await exited).toBe(0);
    for (const pid of services) {
      expect(() => process.kill(pid, 0)).toThrow();
    }
  }, 120_000);
});
