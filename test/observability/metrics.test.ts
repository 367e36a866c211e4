import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { waitFor } from '#libs/testing/src/index.js';
import { startStack, type Stack } from '../support/stack.js';
import type { Team } from '../support/gateway-api.js';
import { promtool, sample, scrape, someTraffic, unboundedLabels } from './support/metrics.js';

/**
 * GET /metrics on every service, against the real stack (NATS with JetStream, PostgreSQL, the
 * four services with the rules engine). The four run in this one process here, so they share one
 * registry and each scrape shows every family; each figure is read from the service that counts
 * it all the same. As separate processes (npm start, compose) each shows its own:
 * per-service-metrics.test.ts runs them so.
 */
describe('GET /metrics', () => {
  let stack: Stack;
  let team: Team;
  let services: { name: string; url: string }[];

  beforeAll(async () => {
    stack = await startStack({}, { rulesEngine: true });
    services = [stack.gateway, stack.integration, stack.scanner, stack.rulesEngine!].map((s) => ({
      name: s.name,
      url: s.url,
    }));
    team = await someTraffic(stack);
  }, 120_000);

  afterAll(async () => {
    await stack?.close();
  });

  test('given the running services, when scraped without a key, then each answers the text format and promtool accepts it', async () => {
    expect(services.map((s) => s.name)).toEqual([
      'api-gateway',
      'integration-service',
      'scanner-service',
      'rules-engine',
    ]);
    for (const { name, url } of services) {
      const { status, type, body } = await scrape(url);
      expect({ name, status }).toEqual({ name, status: 200 });
      expect(type).toMatch(/^text\/plain; version=0\.0\.4/);
      expect(body).toMatch(/^process_cpu_user_seconds_total /m);
      const check = promtool(['check', 'metrics'], body);
      expect({ name, ...check }).toEqual({ name, code: 0, output: '' });
    }
  });

  test('given lists, a bad key and a refused role, then HTTP durations count them by route template and status class, and 401/403 apart', async () => {
    const { body } = await scrape(stack.gateway.url);
    // The list is answered in an onRequest hook (the fast path): counted all the same.
    expect(
      sample(body, 'http_request_duration_seconds_count', {
        method: 'GET',
        route: '/api/integrations',
        status_class: '2xx',
      }),
    ).toBeGreaterThanOrEqual(5);
    expect(
      sample(body, 'http_request_duration_seconds_count', {
        route: '/api/integrations/:provider/connect',
        status_class: '2xx',
      }),
    ).toBeGreaterThanOrEqual(1);
    expect(sample(body, 'http_refusals_total', { status: '401' })).toBeGreaterThanOrEqual(1);
    expect(
      sample(body, 'http_refusals_total', {
        status: '403',
        route: '/api/integrations/:provider/connect',
      }),
    ).toBeGreaterThanOrEqual(1);
  });

  test('given a connect and a disconnect, then bus round trips, appends, publishing and projecting are counted', async () => {
    // The gateway sends the commands and projects their events; the integration service appends
    // and publishes them.
    const gateway = (await scrape(stack.gateway.url)).body;
    const integration = (await scrape(stack.integration.url)).body;
    expect(
      sample(gateway, 'bus_request_duration_seconds_count', {
        subject: 'integrations.cmd.connect',
        outcome: 'ok',
      }),
    ).toBe(1);
    expect(
      sample(integration, 'event_store_append_duration_seconds_count', { schema: 'integration' }),
    ).toBeGreaterThanOrEqual(2);
    expect(sample(integration, 'event_publisher_published_total')).toBeGreaterThanOrEqual(2);
    expect(sample(integration, 'event_publisher_lag_positions')).toBeGreaterThanOrEqual(0);
    expect(
      sample(gateway, 'projection_events_applied_total', {
        projection: 'gateway-integration-events',
      }),
    ).toBeGreaterThanOrEqual(2);
  });

  test('given the rules engine, then its /metrics declares the rules families and its breaker gauge reads the store: none open, no series', async () => {
    const { body } = await scrape(stack.rulesEngine!.url);
    expect(body).toMatch(/^# TYPE rule_runs_total counter$/m);
    expect(body).toMatch(/^# HELP rule_runs_total .*outcome/m);
    expect(body).toMatch(/^# TYPE rule_actions_total counter$/m);
    expect(body).toMatch(/^# HELP rule_actions_total .*provider and outcome/m);
    expect(body).toMatch(/^# TYPE policy_circuit_breaker_state gauge$/m);
    expect(body).not.toMatch(/^policy_circuit_breaker_state\{/m);
    // Its own readiness and consumers, from the engine's own checks and streams
    expect(body).toMatch(/^service_readiness_check\{service="rules-engine",check="postgres"\} 1$/m);
    expect(body).toMatch(/^jetstream_consumer_pending_messages\{stream="RULE_JOBS",/m);
  });

  test('given the streams, then JetStream figures come from the server: stream messages and bytes, consumer pending and ack-pending', async () => {
    const body = await waitFor(
      async () => {
        const { body } = await scrape(stack.integration.url);
        return sample(body, 'jetstream_stream_messages', { stream: 'INTEGRATION_EVENTS' }) >= 2
          ? body
          : undefined;
      },
      { what: 'INTEGRATION_EVENTS to show its messages' },
    );
    expect(
      sample(body, 'jetstream_stream_bytes', { stream: 'INTEGRATION_EVENTS' }),
    ).toBeGreaterThan(0);
    expect(body).toMatch(
      /^jetstream_consumer_pending_messages\{stream="INTEGRATION_EVENTS",consumer="[^"]+"\} \d+/m,
    );
    expect(body).toMatch(/^jetstream_consumer_ack_pending_messages\{/m);
    expect(body).toMatch(/^jetstream_consumer_redelivered_messages\{/m);
  });

  test('given its dependencies up, then each readiness check reads 1', async () => {
    const { body } = await scrape(stack.gateway.url);
    for (const check of ['postgres', 'nats', 'integration-service', 'scanner-service']) {
      expect({
        check,
        up: sample(body, 'service_readiness_check', { service: 'api-gateway', check }),
      }).toEqual({ check, up: 1 });
    }
  });

  test('labels stay bounded: no workspace, member, integration or installation ids and no account names in any series', async () => {
    const integrations = await stack.db.query<{ id: string }>(
      `SELECT id::text AS id FROM integration.integrations`,
    );
    expect(integrations.length).toBeGreaterThan(0);
    const known = [
      team.workspaceId,
      ...Object.values(team.memberIds),
      ...integrations.map((r) => r.id),
      '4242',
      'acme-obs',
    ];
    for (const { name, url } of services) {
      const { body } = await scrape(url);
      expect({ name, unbounded: unboundedLabels(body, known) }).toEqual({ name, unbounded: [] });
      expect(
        body.match(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g),
      ).toBeNull();
    }
  });

  test('/metrics is not part of the public API: not under /api and not in the OpenAPI document', async () => {
    expect((await fetch(`${stack.gateway.url}/api/metrics`)).status).toBe(404);
    const openapi = (await (await fetch(`${stack.gateway.url}/api/docs-json`)).json()) as any;
    expect(Object.keys(openapi.paths)).not.toContain('/metrics');
  });
});
