import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { createDataSource } from '#libs/database/src/index.js';
import {
  freePort,
  NatsServerFixture,
  OtlpReceiver,
  PostgresFixture,
  waitFor,
  type ReceivedSpan,
} from '#libs/testing/src/index.js';
import {
  startGithubSimulator,
  type GithubSimulator,
} from '../../tools/github-simulator/src/index.js';
import { client, createTeam, type Team } from '../support/gateway-api.js';
import { spawnService, type ServiceName, type ServiceProcess } from '../support/service-process.js';
import { serviceEnv } from '../support/service-env.js';

const SERVER = 2;
const CLIENT = 3;
const CONSUMER = 5;

/**
 * The three services as built processes, started the way `npm start` starts them (tracing loaded
 * with `node --import`), exporting OTLP/HTTP JSON to a collector of our own on loopback.
 */
describe('traces across HTTP, the bus and the database', () => {
  let nats: NatsServerFixture;
  let db: PostgresFixture;
  let collector: OtlpReceiver;
  let github: GithubSimulator;
  let gatewayDs: DataSource;
  const processes: Partial<Record<ServiceName, ServiceProcess>> = {};
  let gatewayUrl: string;
  let team: Team;

  beforeAll(async () => {
    nats = await NatsServerFixture.start();
    db = await PostgresFixture.create('tracing');
    collector = await OtlpReceiver.start();
    github = await startGithubSimulator({ repos: 3, seed: 5, extraInstallations: 1 });
    const env = serviceEnv(nats, db, {
      LOG_LEVEL: 'debug',
      GITHUB_CONNECT_REQUIRES_INSTALL_FLOW: 'false',
      GITHUB_API_URL: github.url,
      GITHUB_APP_ID: String(github.appId),
      GITHUB_APP_PRIVATE_KEY_PATH: github.privateKeyPath,
      OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_TRACES_SAMPLER: 'always_on',
      OTEL_BSP_SCHEDULE_DELAY: '100',
    });
    for (const name of ['integration-service', 'scanner-service', 'api-gateway'] as const) {
      const port = await freePort();
      processes[name] = spawnService(name, { ...env, PORT: String(port) });
      const service = processes[name]!;
      await waitFor(
        async () => {
          if (service.child.exitCode !== null)
            throw new Error(`${name} exited: ${service.output().slice(-2_000)}`);
          return (await fetch(`http://127.0.0.1:${port}/health/live`)).ok ? true : undefined;
        },
        { timeoutMs: 90_000, intervalMs: 200, what: `${name} to listen` },
      );
      if (name === 'api-gateway') gatewayUrl = `http://127.0.0.1:${port}`;
    }
    await waitFor(async () => ((await fetch(`${gatewayUrl}/health/ready`)).ok ? true : undefined), {
      timeoutMs: 60_000,
      intervalMs: 200,
      what: 'the gateway to be ready',
    });
    gatewayDs = createDataSource({
      url: db.url,
      schema: 'gateway',
      migrations: [],
      applicationName: 'tracing-test',
    });
    await gatewayDs.initialize();
    team = await createTeam(gatewayDs, 'traced');
  }, 180_000);

  afterAll(async () => {
    for (const service of Object.values(processes)) {
      if (service.child.exitCode === null) {
        service.child.kill('SIGTERM');
        await service.exited;
      }
    }
    await gatewayDs?.destroy();
    await collector?.close();
    await github?.close();
    await nats?.dispose();
    await db?.dispose();
  });

  const connectGithub = (token: string, installationId: number) =>
    client(gatewayUrl)('POST', '/api/integrations/github/connect', {
      token,
      body: { installationId: String(installationId), accountLogin: github.org.login },
    });

  test('given a traced stack, when one connect is sent, then it is one trace from the gateway through NATS into the integration service and Postgres, and its logs carry the trace', async () => {
    const connected = await connectGithub(team.owner, github.installationId);
    expect(connected.status).toBe(201);

    const root = await waitFor(
      () =>
        collector.spans.find(
          (s) =>
            s.service === 'api-gateway' &&
            s.kind === SERVER &&
            s.attributes['http.route'] === '/api/integrations/:provider/connect',
        ),
      { timeoutMs: 20_000, what: 'the gateway span of the connect' },
    );
    const handler = await waitFor(
      () =>
        collector.spans.find(
          (s) =>
            s.traceId === root.traceId &&
            s.service === 'integration-service' &&
            s.kind === SERVER &&
            s.name === 'integrations.cmd.connect process',
        ),
      { timeoutMs: 20_000, what: "the integration service's handler span in the same trace" },
    );
    const trace = () => collector.spans.filter((s) => s.traceId === root.traceId);
    const send = trace().find(
      (s) => s.kind === CLIENT && s.name === 'integrations.cmd.connect send',
    );
    expect(send).toMatchObject({ service: 'api-gateway' });
    // The request over NATS is the handler's parent: the context crossed in the headers.
    expect(handler.parentSpanId).toBe(send!.spanId);
    const statements = await waitFor(
      () => {
        const found = trace().filter(
          (s) =>
            s.service === 'integration-service' &&
            (s.attributes['db.system.name'] ?? s.attributes['db.system']) === 'postgresql',
        );
        return found.length > 0 ? found : undefined;
      },
      { timeoutMs: 20_000, what: "the integration service's Postgres spans" },
    );
    expect(
      statements.some((s) =>
        /INSERT/i.test(
          String(s.attributes['db.query.text'] ?? s.attributes['db.statement'] ?? s.name),
        ),
      ),
    ).toBe(true);
    // GitHub calls are spans: the integration service asked GitHub about the installation.
    const asked = await waitFor(
      () =>
        trace().find(
          (s) =>
            s.service === 'integration-service' &&
            s.kind === CLIENT &&
            String(s.attributes['url.full']).startsWith(`${github.url}/app/installations/`),
        ),
      { timeoutMs: 20_000, what: "the integration service's GitHub call span" },
    );
    expect(asked.attributes).toMatchObject({
      'http.request.method': 'GET',
      'http.response.status_code': 200,
    });
    expect(new Set(trace().map((s) => s.service))).toEqual(
      new Set(['api-gateway', 'integration-service']),
    );
    expect(spanTree(trace()).roots).toEqual([root.spanId]);

    const logged = processes['integration-service']!.output()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { msg: string; trace_id?: string; span_id?: string })
      .find((line) => line.msg === 'bus message handled' && line.trace_id === root.traceId);
    expect(logged?.span_id).toBe(handler.spanId);
  }, 60_000);

  test('given GitHub connected, when the scanner discovers the installation, then its GitHub calls are client spans', async () => {
    const installationId = github.installationId + 1;
    const scanned = await createTeam(gatewayDs, 'scanned');
    const connected = await connectGithub(scanned.owner, installationId);
    expect(connected.status).toBe(201);

    // Discovery acts as the installation: its token is the scanner's first call to GitHub.
    const call = await waitFor(
      () =>
        collector.spans.find(
          (s) =>
            s.service === 'scanner-service' &&
            s.kind === CLIENT &&
            s.attributes['url.full'] ===
              `${github.url}/app/installations/${installationId}/access_tokens`,
        ),
      { timeoutMs: 30_000, what: "the scanner's GitHub call spans" },
    );
    expect(call.attributes).toMatchObject({
      'http.request.method': 'POST',
      'http.response.status_code': 201,
    });
  });

  test("given a caller's traceparent, when it calls the gateway, then the gateway's span continues that trace with the route and status; probes are not traced", async () => {
    const traceId = randomBytes(16).toString('hex');
    const callerSpanId = randomBytes(8).toString('hex');
    const answer = await fetch(`${gatewayUrl}/api/integrations/nope`, {
      headers: {
        authorization: `Token ${team.viewer}`,
        traceparent: `00-${traceId}-${callerSpanId}-01`,
      },
    });
    expect(answer.status).toBe(404);
    await fetch(`${gatewayUrl}/health/ready`, {
      headers: { traceparent: `00-${traceId}-${callerSpanId}-01` },
    });

    const server = await waitFor(
      () => collector.spans.find((s) => s.traceId === traceId && s.kind === SERVER),
      { timeoutMs: 20_000, what: "the gateway's span in the caller's trace" },
    );
    expect(server).toMatchObject({
      service: 'api-gateway',
      parentSpanId: callerSpanId,
      name: 'GET /api/integrations/:id',
    });
    expect(server.attributes).toMatchObject({
      'http.request.method': 'GET',
      'http.route': '/api/integrations/:id',
      'url.path': '/api/integrations/nope',
      'http.response.status_code': 404,
    });
    // Exported in order: once the collector holds a later span, the probe would be there too.
    await fetch(`${gatewayUrl}/api/integrations`, {
      headers: { authorization: `Token ${team.viewer}` },
    });
    await waitFor(
      () =>
        collector.spans.find(
          (s) => s.kind === SERVER && s.attributes['http.route'] === '/api/integrations',
        ),
      { timeoutMs: 20_000, what: 'the span of the list after the probe' },
    );
    expect(
      collector.spans.filter((s) => s.traceId === traceId && s.kind === SERVER).map((s) => s.name),
    ).toEqual(['GET /api/integrations/:id']);
  }, 60_000);

  test('given the connect, then the projection that applies its event links back to that trace', async () => {
    const connect = collector.spans.find(
      (s) => s.service === 'integration-service' && s.name === 'integrations.cmd.connect process',
    )!;
    const applied = await waitFor(
      () =>
        collector.spans.find(
          (s) =>
            s.service === 'api-gateway' &&
            s.kind === CONSUMER &&
            s.links.some((l) => l.traceId === connect.traceId),
        ),
      { timeoutMs: 20_000, what: 'a projection span linked to the connect' },
    );
    expect(applied.name).toMatch(/ apply$/);
    expect(applied.traceId).not.toBe(connect.traceId);
  }, 30_000);
});

/** Spans whose parent is not in the set: one root means one connected trace. */
function spanTree(spans: ReceivedSpan[]) {
  const ids = new Set(spans.map((s) => s.spanId));
  return {
    roots: spans.filter((s) => !s.parentSpanId || !ids.has(s.parentSpanId)).map((s) => s.spanId),
  };
}
