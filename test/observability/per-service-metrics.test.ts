import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { freePort, NatsServerFixture, PostgresFixture, waitFor } from '#libs/testing/src/index.js';
import { spawnService, type ServiceName, type ServiceProcess } from '../support/service-process.js';
import { payloadFor, post, signedDelivery } from '../webhooks/support/deliveries.js';
import { promtool, sample, scrape, seriesOf } from './support/metrics.js';
import { serviceEnv } from '../support/service-env.js';

const WEBHOOK_SECRET = 'per-service-metrics-secret';

/** Families by the code that counts them (libs/observability/src/metrics and its callers). */
const RULES = ['rule_runs_total', 'rule_actions_total', 'policy_circuit_breaker_state'];
const SCANNER = [
  'scanner_repositories_total',
  'scanner_scan_duration_seconds',
  'github_requests_total',
  'github_not_modified_total',
  'github_rate_limit_remaining',
];
const WEBHOOKS = [
  'webhook_deliveries_received_total',
  'webhook_deliveries_processed_total',
  'webhook_receipt_to_applied_seconds',
];
const EVENT_STORE = [
  'event_store_append_duration_seconds',
  'event_store_conflicts_retried_total',
  'event_publisher_lag_positions',
  'event_publisher_lag_seconds',
  'event_publisher_published_total',
];
const PROJECTIONS = [
  'projection_lag_positions',
  'projection_lag_seconds',
  'projection_events_parked',
];

/**
 * The four services as built processes (dist/, which `npm test` builds first, as for
 * tracing.test.ts), the way `npm start` and compose run them; the other suites here run them in
 * one process, sharing one registry. Each /metrics shows what its own process registered and
 * counted, and nothing another service counted.
 */
describe("each service's own /metrics, as separate processes", () => {
  let nats: NatsServerFixture;
  let db: PostgresFixture;
  const processes: Partial<Record<ServiceName, ServiceProcess>> = {};
  const urls = {} as Record<ServiceName, string>;
  const order: ServiceName[] = [
    'integration-service',
    'scanner-service',
    'rules-engine',
    'api-gateway',
  ];
  const families = (body: string) => [...body.matchAll(/^# TYPE (\w+) \w+$/gm)].map((m) => m[1]!);

  beforeAll(async () => {
    nats = await NatsServerFixture.start();
    db = await PostgresFixture.create('per_service_metrics');
    const env = serviceEnv(nats, db, {
      LOG_LEVEL: 'warn',
      GITHUB_WEBHOOK_SECRET: WEBHOOK_SECRET,
    });
    // One after another, the gateway last: it is ready only once the others answer.
    for (const name of order) {
      const port = await freePort();
      const service = spawnService(name, { ...env, PORT: String(port) });
      processes[name] = service;
      urls[name] = `http://127.0.0.1:${port}`;
      await waitFor(
        async () => {
          if (service.child.exitCode !== null)
            throw new Error(`${name} exited: ${service.output().slice(-2_000)}`);
          const live = await fetch(`${urls[name]}/health/live`).catch(() => undefined);
          return live?.ok ? true : undefined;
        },
        { timeoutMs: 60_000, intervalMs: 100, what: `${name} to listen` },
      );
    }
    await waitFor(
      async () => ((await fetch(`${urls['api-gateway']}/health/ready`)).ok ? true : undefined),
      { timeoutMs: 30_000, intervalMs: 100, what: 'the gateway to be ready' },
    );
  }, 120_000);

  afterAll(async () => {
    for (const service of Object.values(processes)) {
      if (service.child.exitCode === null) {
        service.child.kill('SIGTERM');
        await service.exited;
      }
    }
    await nats?.dispose();
    await db?.dispose();
  });

  /** What each service runs, and families of code it does not run, which it must not show. */
  const owns: Record<ServiceName, { shows: string[]; not: string[] }> = {
    'api-gateway': {
      shows: ['http_request_duration_seconds', 'http_refusals_total', ...WEBHOOKS, ...PROJECTIONS],
      not: [...RULES, ...SCANNER],
    },
    'integration-service': { shows: EVENT_STORE, not: [...RULES, ...SCANNER, ...WEBHOOKS] },
    'scanner-service': { shows: [...SCANNER, ...WEBHOOKS, ...PROJECTIONS], not: RULES },
    'rules-engine': { shows: [...RULES, ...EVENT_STORE], not: [...SCANNER, ...WEBHOOKS] },
  };

  test('given the four services as processes, when each is scraped, then each answers the text format and promtool accepts it', async () => {
    for (const name of order) {
      const { status, type, body } = await scrape(urls[name]);
      expect({ name, status }).toEqual({ name, status: 200 });
      expect(type).toMatch(/^text\/plain; version=0\.0\.4/);
      expect(body).toMatch(/^process_cpu_user_seconds_total /m);
      expect({ name, ...promtool(['check', 'metrics'], body) }).toEqual({
        name,
        code: 0,
        output: '',
      });
    }
  });

  test('given the four services as processes, then each declares the families of the code it runs and none of the code it does not', async () => {
    for (const name of order) {
      const declared = families((await scrape(urls[name])).body);
      expect({ name, missing: owns[name].shows.filter((f) => !declared.includes(f)) }).toEqual({
        name,
        missing: [],
      });
      expect({ name, foreign: owns[name].not.filter((f) => declared.includes(f)) }).toEqual({
        name,
        foreign: [],
      });
    }
  });

  test("given the four services as processes, then each one's readiness series name only itself", async () => {
    for (const name of order) {
      const checks = seriesOf((await scrape(urls[name])).body).filter(
        (x) => x.name === 'service_readiness_check',
      );
      expect(checks.length).toBeGreaterThan(0);
      expect({ name, services: [...new Set(checks.map((x) => x.labels.service))] }).toEqual({
        name,
        services: [name],
      });
    }
  });

  test('given a signed delivery for an installation nobody connected, when the gateway takes it, then the gateway counts it and no other service does', async () => {
    // Given a signed ping from an installation no workspace connected
    const ping = await signedDelivery(WEBHOOK_SECRET, 'ping', payloadFor(987_654, 'ping'));

    // When the gateway takes it (once its installation map has loaded: 503 until then)
    await waitFor(
      async () => {
        const answer = await post(urls['api-gateway'], ping);
        return answer.body?.reason === 'unknown_installation' ? true : undefined;
      },
      { timeoutMs: 20_000, what: 'the gateway to acknowledge the delivery' },
    );

    // Then the gateway's own /metrics counts it, and its request to the intake route
    const labels = { event: 'ping', outcome: 'unknown_installation' };
    const gateway = (await scrape(urls['api-gateway'])).body;
    expect(sample(gateway, 'webhook_deliveries_received_total', labels)).toBe(1);
    const intake = { route: '/api/webhooks/github', status_class: '2xx' };
    expect(sample(gateway, 'http_request_duration_seconds_count', intake)).toBe(1);
    // And no other service has a sample of either, though the scanner declares the family too
    for (const name of order.filter((n) => n !== 'api-gateway')) {
      const body = (await scrape(urls[name])).body;
      expect({ name, received: sample(body, 'webhook_deliveries_received_total') }).toEqual({
        name,
        received: NaN,
      });
      expect({ name, intake: sample(body, 'http_request_duration_seconds_count', intake) }).toEqual(
        {
          name,
          intake: NaN,
        },
      );
    }
    expect(families((await scrape(urls['scanner-service'])).body)).toContain(
      'webhook_deliveries_received_total',
    );
  });
});
