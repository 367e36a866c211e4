import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { execSync, spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, matchesGlob, relative, resolve } from 'node:path';
import { freePort, NatsServerFixture, PostgresFixture, waitFor } from '#libs/testing/src/index.js';
import { loadCompose, OPERATOR_ENV } from '../support/compose-file.js';

/**
 * No container engine runs here, so the image is proven another way: in a clean folder this
 * performs the Dockerfile's build stage (its COPY and RUN lines, in order) and its runtime stage's
 * copies, then starts every service that docker-compose.yml runs from the image, with compose's
 * own command, from the runtime folder alone, against real NATS and PostgreSQL, until each answers
 * ready. A service that needs a dev dependency or a file the image leaves out never gets ready.
 */
type Step =
  | { kind: 'copy'; from?: string; sources: string[]; dest: string }
  | { kind: 'run'; command: string }
  | { kind: 'workdir'; path: string };

interface Stage {
  name?: string;
  steps: Step[];
}

function dockerfileStages(text: string): Stage[] {
  const lines = text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'));
  const stages: Stage[] = [];
  for (const line of lines) {
    const [instruction, ...rest] = line.split(/\s+/);
    const args = rest.join(' ');
    switch (instruction!.toUpperCase()) {
      case 'FROM':
        stages.push({ name: / AS (\S+)$/i.exec(args)?.[1], steps: [] });
        break;
      case 'COPY': {
        const words = rest.filter((word) => !word.startsWith('--') || word.startsWith('--from='));
        const from = words[0]?.startsWith('--from=') ? words.shift()!.slice(7) : undefined;
        stages
          .at(-1)!
          .steps.push({ kind: 'copy', from, sources: words.slice(0, -1), dest: words.at(-1)! });
        break;
      }
      case 'RUN':
        stages.at(-1)!.steps.push({ kind: 'run', command: args });
        break;
      case 'WORKDIR':
        stages.at(-1)!.steps.push({ kind: 'workdir', path: args });
        break;
    }
  }
  return stages;
}

/** The image's root folder holds each stage; WORKDIR paths map under it. */
function assemble(stages: Stage[], context: string, root: string): string {
  const ignored = readFileSync(join(context, '.dockerignore'), 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'));
  const notIgnored = (source: string) => {
    const path = relative(context, source);
    return !ignored.some((pattern) => path === pattern || matchesGlob(path, pattern));
  };
  const stageRoots = new Map<string, string>();
  let workdir = '/';
  for (const [index, stage] of stages.entries()) {
    const stageRoot = join(root, `stage-${index}`);
    mkdirSync(stageRoot, { recursive: true });
    if (stage.name) stageRoots.set(stage.name, stageRoot);
    for (const step of stage.steps) {
      const here = join(stageRoot, workdir);
      if (step.kind === 'workdir') {
        workdir = step.path;
        mkdirSync(join(stageRoot, workdir), { recursive: true });
      } else if (step.kind === 'copy') {
        for (const source of step.sources) {
          const from = step.from ? join(stageRoots.get(step.from)!, source) : join(context, source);
          const into = step.dest.endsWith('/') || step.sources.length > 1;
          const target = resolve(here, step.dest, into ? basename(source) : '');
          mkdirSync(dirname(target), { recursive: true });
          cpSync(from, target, { recursive: true, filter: step.from ? undefined : notIgnored });
        }
      } else {
        try {
          execSync(step.command, { cwd: here, shell: '/bin/bash', env: buildEnv(), stdio: 'pipe' });
        } catch (error: any) {
          throw new Error(`RUN ${step.command} failed:\n${error.stdout}${error.stderr}`);
        }
      }
    }
    if (index === stages.length - 1) return join(stageRoot, workdir);
  }
  throw new Error('the Dockerfile has no stage');
}

/** Node 24 first on the PATH, as in the image; nothing of Jest's or npm's own run leaks in. */
function buildEnv(): NodeJS.ProcessEnv {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !/^(npm_|NODE_OPTIONS|INIT_CWD)/i.test(key)),
  );
  return { ...env, PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}` };
}

describe('the image built as the Dockerfile says runs every service compose runs', () => {
  let root: string;
  let app: string;
  let nats: NatsServerFixture;
  let db: PostgresFixture;
  const running: { name: string; child: ChildProcess; output: () => string; url: string }[] = [];

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'image-'));
    app = assemble(dockerfileStages(readFileSync('Dockerfile', 'utf8')), process.cwd(), root);
    nats = await NatsServerFixture.start();
    db = await PostgresFixture.create('image');
  }, 600_000);

  afterAll(async () => {
    for (const service of running) service.child.kill('SIGTERM');
    await nats?.dispose();
    await db?.dispose();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  test('the runtime folder holds production dependencies and built services only', () => {
    expect(existsSync(join(app, 'node_modules/@nestjs/core'))).toBe(true);
    for (const devOnly of ['jest', 'ts-jest', 'eslint', 'autocannon', 'node']) {
      expect({ devOnly, present: existsSync(join(app, 'node_modules', devOnly)) }).toEqual({
        devOnly,
        present: false,
      });
    }
    expect(readdirSync(app).sort()).toEqual(['dist', 'node_modules', 'package.json']);
    expect(readdirSync(join(app, 'dist')).sort()).toEqual(['apps', 'libs', 'scripts']);
    expect(readdirSync(join(app, 'dist/scripts')).sort()).toEqual(
      expect.arrayContaining(['admin', 'admin.js']),
    );
  });

  test('each service compose builds from the image starts from it and answers ready', async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const compose = loadCompose({
      ...OPERATOR_ENV,
      GITHUB_APP_PRIVATE_KEY: privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(),
    });
    const fromImage = Object.entries<any>(compose.services).filter(([, service]) => service.build);
    expect(fromImage.length).toBeGreaterThanOrEqual(3);
    const masterKey = randomBytes(32).toString('base64');
    for (const [name, service] of fromImage) {
      const [program, ...args] = service.command as string[];
      expect(program).toBe('node');
      const port = await freePort();
      const env = {
        ...service.environment,
        PATH: process.env.PATH ?? '',
        NATS_URL: nats.url,
        // One bus node here: compose's three-node cluster is nats-cluster.test.ts's to prove.
        NATS_STREAM_REPLICAS: '1',
        DATABASE_URL: db.url,
        HOST: '127.0.0.1',
        PORT: String(port),
        LOG_LEVEL: 'warn',
        CREDENTIALS_MASTER_KEY: masterKey,
      };
      const child = spawn(process.execPath, args, {
        cwd: app,
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout!.on('data', (chunk) => (output += chunk));
      child.stderr!.on('data', (chunk) => (output += chunk));
      running.push({ name, child, output: () => output, url: `http://127.0.0.1:${port}` });
    }
    for (const service of running) {
      // A service that exits (a missing module, a refused configuration) ends the wait at once.
      const outcome = await waitFor(
        async () => {
          if (service.child.exitCode !== null) return `exited ${service.child.exitCode}`;
          const response = await fetch(`${service.url}/health/ready`).catch(() => undefined);
          return response?.status === 200 ? 'ready' : undefined;
        },
        { timeoutMs: 60_000, what: `${service.name} from the image to be ready` },
      );
      expect({
        service: service.name,
        outcome,
        output: outcome === 'ready' ? '' : service.output(),
      }).toEqual({
        service: service.name,
        outcome: 'ready',
        output: '',
      });
    }
  }, 120_000);
});
