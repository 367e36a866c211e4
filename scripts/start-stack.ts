import { randomBytes } from 'node:crypto';
import { tracingNodeArgs } from '#libs/observability/src/node-args.js';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateBusPasswords, type BusUser } from '#libs/messaging/src/index.js';
import pg from 'pg';
import {
  ensureDatabase,
  isListening,
  MissingDependency,
  startLocalNats,
  startLocalPostgres,
  type StartedInfra,
} from './stack/local-infra.js';
import { localSecrets } from './stack/master-key.js';
import { startGithubSandbox } from './stack/github-sandbox.js';
import { startSlackSandbox } from './stack/slack-sandbox.js';
import { DATA_DIR, DEFAULT_DATABASE_URL, DEFAULT_NATS_URL } from './stack/paths.js';
import { showServiceOutput } from './stack/service-output.js';
import { Supervisor } from './stack/supervisor.js';

/**
 * `npm start`: NATS and PostgreSQL (the local ones, or started here when unreachable), the GitHub
 * simulator when no GitHub App is configured (and the Slack simulator when SLACK_API_URL is unset),
 * then the four services; Ctrl-C stops it all.
 */
const SERVICES = [
  { name: 'integration-service', port: process.env.INTEGRATION_SERVICE_PORT ?? '3001' },
  { name: 'scanner-service', port: process.env.SCANNER_SERVICE_PORT ?? '3002' },
  { name: 'rules-engine', port: process.env.RULES_ENGINE_PORT ?? '3003' },
  { name: 'api-gateway', port: process.env.PORT ?? '3000' },
] as const;
const GATEWAY_PORT = SERVICES.find((s) => s.name === 'api-gateway')!.port;

/**
 * V8 keeps garbage around while memory is plentiful; a large org scan peaked at 323 MB without
 * these, 162 MB with a 128 MB old space (bench:scan, 10,000 repos). Same flags as docker-compose.yml.
 */
const NODE_FLAGS: Record<string, string[]> = {
  'scanner-service': ['--max-semi-space-size=4', '--max-old-space-size=192'],
};

const say = (line: string) => process.stdout.write(`[stack] ${line}\n`);
const started: { stop(): Promise<void> }[] = [];
const children: ChildProcess[] = [];
const supervisors: Supervisor[] = [];
let stopping = false;

async function reachablePostgres(url: string): Promise<boolean> {
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new pg.Client({
    connectionString: admin.toString(),
    connectionTimeoutMillis: 1_500,
  });
  try {
    await client.connect();
    await client.end();
    return true;
  } catch {
    return false;
  }
}

async function main() {
  mkdirSync(DATA_DIR, { recursive: true });
  const natsUrl = process.env.NATS_URL ?? DEFAULT_NATS_URL;
  /** Set when this stack starts its own nats-server: each service then connects as its user. */
  let busPasswords: Record<BusUser, string> | undefined;
  const databaseUrl = process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL;

  // A cluster's list: the stack checks (and may start) the first server.
  const nats = new URL(natsUrl.split(',')[0]!.trim());
  if (!(await isListening(nats.hostname, Number(nats.port || 4222)))) {
    say(
      `NATS not reachable at ${natsUrl}: starting nats-server with its store in ${DATA_DIR}/nats`,
    );
    busPasswords = generateBusPasswords();
    started.push(await startLocalNats(nats, DATA_DIR, busPasswords));
    // For `npm run admin` against this bus: NATS_USER=admin and the password kept here.
    writeFileSync(join(DATA_DIR, 'nats-users.json'), JSON.stringify(busPasswords), { mode: 0o600 });
    say(
      `nats-server runs with one user per service; their passwords are in ${DATA_DIR}/nats-users.json`,
    );
  }
  if (!(await reachablePostgres(databaseUrl))) {
    say(`PostgreSQL not reachable: starting one with its cluster in ${DATA_DIR}/postgres`);
    started.push(await startLocalPostgres(new URL(databaseUrl), DATA_DIR));
  }
  await ensureDatabase(databaseUrl);

  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    NATS_URL: natsUrl,
    DATABASE_URL: databaseUrl,
    ...localSecrets(DATA_DIR, process.env),
  };
  if (!process.env.GITHUB_APP_ID) {
    const sandbox = await startGithubSandbox(
      `http://127.0.0.1:${GATEWAY_PORT}/api/integrations/github/setup`,
      60,
      {
        url: `http://127.0.0.1:${GATEWAY_PORT}/api/webhooks/github`,
        secret: process.env.GITHUB_WEBHOOK_SECRET ?? randomBytes(16).toString('hex'),
      },
    );
    if (sandbox) {
      children.push(sandbox.process);
      Object.assign(env, sandbox.env);
      say(
        `no GitHub App configured (GITHUB_APP_ID): using the local GitHub simulator at ${sandbox.url} ` +
          `with demo org "${sandbox.org}"; connect it with {"installationId": "${sandbox.installationId}", "accountLogin": "${sandbox.org}"}`,
      );
    }
  }

  if (!process.env.SLACK_API_URL) {
    const slack = await startSlackSandbox();
    if (slack) {
      children.push(slack.process);
      env.SLACK_API_URL = slack.url;
      say(`no SLACK_API_URL: using the local Slack simulator at ${slack.url} (any xoxb- token)`);
    }
  }

  for (const service of SERVICES) {
    const entry = `dist/apps/${service.name}/src/main.js`;
    // A service that crashes is started again; the others keep serving meanwhile.
    const supervisor = new Supervisor({
      name: service.name,
      say,
      spawn: () => {
        const child = spawn(
          process.execPath,
          [...tracingNodeArgs(), ...(NODE_FLAGS[service.name] ?? []), entry],
          {
            env: {
              ...env,
              PORT: service.port,
              ...(busPasswords
                ? { NATS_USER: service.name, NATS_PASSWORD: busPasswords[service.name] }
                : {}),
            },
            stdio: ['ignore', 'pipe', 'pipe'],
          },
        );
        showServiceOutput(child);
        return child;
      },
    });
    supervisors.push(supervisor);
    supervisor.start();
  }
  const gateway = `http://127.0.0.1:${GATEWAY_PORT}`;
  for (let i = 0; i < 150 && !stopping; i++) {
    const ready = await fetch(`${gateway}/health/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) {
      say(`ready: gateway at ${gateway}, API docs at ${gateway}/api/docs`);
      say(
        'a first workspace and key: npm run admin -- create-workspace acme --owner you@example.com',
      );
      say('Ctrl-C stops everything');
      return;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  if (!stopping) {
    say(`the gateway at ${gateway} did not become ready within 30 s; see its readiness for why`);
  }
}

async function stop(code: number) {
  if (stopping) return;
  stopping = true;
  say('stopping');
  await Promise.all(supervisors.map((supervisor) => supervisor.stop()));
  await Promise.all(
    children.map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null) return resolve();
          child.once('exit', () => resolve());
          child.kill('SIGTERM');
        }),
    ),
  );
  for (const infra of started.reverse()) await infra.stop();
  say('stopped');
  process.exit(code);
}

process.once('SIGINT', () => void stop(0));
process.once('SIGTERM', () => void stop(0));
main().catch((error: unknown) => {
  say(error instanceof MissingDependency ? error.message : `failed: ${String(error)}`);
  void stop(1);
});

export type { StartedInfra };
