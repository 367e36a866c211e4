import { describe, expect, test } from '@jest/globals';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { passwordVariable, type BusUser } from '#libs/messaging/src/index.js';
import { composeNatsConfig } from '../../scripts/stack/compose-nats-config.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadCompose, OPERATOR_ENV } from '../support/compose-file.js';

function resolvedCompose(): any {
  return loadCompose(OPERATOR_ENV);
}

const NATS_NODES = ['nats', 'nats-2', 'nats-3'];

describe('docker-compose.yml', () => {
  const compose = resolvedCompose();
  const apps = ['api-gateway', 'integration-service', 'scanner-service', 'rules-engine'];

  test('names NATS with JetStream, PostgreSQL and the four services', () => {
    const always = Object.keys(compose.services).filter((name) => !compose.services[name].profiles);
    expect(always.sort()).toEqual([...apps, ...NATS_NODES, 'postgres'].sort());
    // JetStream is on in the mounted config (ops/nats/nats.conf).
    expect(readFileSync('ops/nats/nats.conf', 'utf8')).toMatch(
      /^jetstream \{ store_dir: "\/data" \}$/m,
    );
  });

  test('the observability profile adds Prometheus and Grafana, provisioned from ops/', () => {
    const observability = Object.keys(compose.services).filter((name) =>
      compose.services[name].profiles?.includes('observability'),
    );
    expect(observability.sort()).toEqual(['grafana', 'prometheus']);
    const mounted = (name: string) =>
      compose.services[name].volumes.map((v: any) => (typeof v === 'string' ? v : v.source));
    for (const name of observability) {
      for (const volume of mounted(name).filter((v: string) => v.includes('/ops/'))) {
        expect({ volume, exists: existsSync(volume.split(':')[0]) }).toEqual({
          volume,
          exists: true,
        });
      }
    }
    expect(mounted('prometheus').join(' ')).toContain('ops/prometheus/alerts.yml');
    expect(mounted('grafana').join(' ')).toContain('ops/grafana/dashboards');
  });

  test('runs NATS as a three-node JetStream cluster the apps list, streams at three replicas', () => {
    const routes = 'nats://nats:6222,nats://nats-2:6222,nats://nats-3:6222';
    for (const node of NATS_NODES) {
      const command: string[] = compose.services[node].command;
      expect(command.slice(0, 2)).toEqual(['-c', '/etc/nats/nats.conf']);
      expect(command[command.indexOf('--server_name') + 1]).toBe(node);
      expect(command[command.indexOf('--cluster_name') + 1]).toBe('integrations');
      expect(command[command.indexOf('--routes') + 1]).toBe(routes);
    }
    const volumes = NATS_NODES.map((node) => compose.services[node].volumes[0].split(':')[0]);
    expect(new Set(volumes).size).toBe(3);
    for (const app of apps) {
      const env = compose.services[app].environment;
      expect(env.NATS_URL.split(',')).toEqual(NATS_NODES.map((n) => `nats://${n}:4222`));
      expect(env.NATS_STREAM_REPLICAS).toBe('3');
    }
  });

  test('gives every service a health check, and the apps probe their readiness endpoint', () => {
    for (const [name, service] of Object.entries<any>(compose.services)) {
      expect({ name, test: service.healthcheck?.test?.[0] }).toEqual({ name, test: 'CMD' });
    }
    for (const app of apps) {
      const port = compose.services[app].environment.PORT;
      expect(compose.services[app].healthcheck.test.join(' ')).toContain(
        `127.0.0.1:${port}/health/ready`,
      );
    }
  });

  test('starts each app from a built entry point once NATS and PostgreSQL are healthy', () => {
    for (const app of apps) {
      const service = compose.services[app];
      expect(service.command[0]).toBe('node');
      expect(service.command.at(-1)).toBe(`dist/apps/${app}/src/main.js`);
      // Tracing must load before the service's modules (libs/observability/src/register.ts).
      expect(service.command.slice(1, 3)).toEqual([
        '--import',
        './dist/libs/observability/src/register.js',
      ]);
      expect(existsSync('libs/observability/src/register.ts')).toBe(true);
      expect(existsSync(`apps/${app}/src/main.ts`)).toBe(true);
      expect(service.depends_on.nats.condition).toBe('service_healthy');
      expect(service.depends_on.postgres.condition).toBe('service_healthy');
      expect(service.environment.HOST).toBe('0.0.0.0');
    }
  });
});

describe('docker-compose.yml secrets', () => {
  test('given any one secret unset, then compose refuses to start, naming it: no defaults', () => {
    for (const name of ['CREDENTIALS_MASTER_KEY', 'POSTGRES_PASSWORD', 'GATEWAY_SIGNING_KEY']) {
      const { [name as keyof typeof OPERATOR_ENV]: _unset, ...rest } = OPERATOR_ENV;
      expect(() => loadCompose(rest)).toThrow(`required variable ${name} is missing a value`);
    }
  });

  test('given no GitHub App slug, then compose refuses: the engine must know its own bot', () => {
    const { GITHUB_APP_SLUG: _unset, ...rest } = OPERATOR_ENV;
    expect(() => loadCompose(rest)).toThrow('required variable GITHUB_APP_SLUG is missing a value');
    expect(resolvedCompose().services['rules-engine'].environment.GITHUB_APP_SLUG).toBe(
      'operator-app',
    );
  });

  test('the database password reaches PostgreSQL and every service alike', () => {
    const compose = resolvedCompose();
    expect(compose.services.postgres.environment.POSTGRES_PASSWORD).toBe('operator-supplied');
    for (const app of ['api-gateway', 'integration-service', 'scanner-service']) {
      expect(compose.services[app].environment.DATABASE_URL).toBe(
        'postgres://postgres:operator-supplied@postgres:5432/integrations',
      );
    }
  });
});

describe('docker-compose.yml bus users', () => {
  test('given the committed nats.conf, then it is what BUS_USERS generates, and holds no password', () => {
    const committed = readFileSync('ops/nats/nats.conf', 'utf8');
    expect(committed).toBe(composeNatsConfig());
    expect(committed).not.toMatch(/password: "/);
  });

  test('given the stack, then NATS runs that config and each service connects as its own user', () => {
    const compose = resolvedCompose();
    // Each node of the cluster runs the config, plus its place in the cluster.
    expect(compose.services.nats.command.slice(0, 2)).toEqual(['-c', '/etc/nats/nats.conf']);
    expect(compose.services.nats.volumes).toContain('./ops/nats/nats.conf:/etc/nats/nats.conf:ro');
    for (const app of ['api-gateway', 'integration-service', 'scanner-service', 'rules-engine']) {
      const env = compose.services[app].environment;
      expect(env.NATS_USER).toBe(app);
      expect(env.NATS_PASSWORD).toBe(
        compose.services.nats.environment[passwordVariable(app as BusUser)],
      );
    }
    const { NATS_SCANNER_SERVICE_PASSWORD: _unset, ...rest } = OPERATOR_ENV;
    expect(() => loadCompose(rest)).toThrow('required variable NATS_SCANNER_SERVICE_PASSWORD');
  });
});

describe('the compose file check', () => {
  test('refuses a file that the Compose Specification does not allow', () => {
    const dir = mkdtempSync(join(tmpdir(), 'compose-'));
    const file = join(dir, 'docker-compose.yml');
    writeFileSync(file, 'services:\n  app:\n    image: x\n    comand: ["node"]\n');
    try {
      expect(() => loadCompose({}, file)).toThrow(/does not validate.*comand/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('refuses to resolve a file whose required variable is unset', () => {
    const dir = mkdtempSync(join(tmpdir(), 'compose-'));
    const file = join(dir, 'docker-compose.yml');
    writeFileSync(file, 'services:\n  app:\n    image: "x:${TAG:?set TAG}"\n');
    try {
      expect(() => loadCompose({}, file)).toThrow(
        'required variable TAG is missing a value: set TAG',
      );
      expect(loadCompose({ TAG: '1' }, file).services.app.image).toBe('x:1');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
