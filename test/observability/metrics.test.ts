import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { waitFor } from '#libs/testing/src/index.js';
import { startStack, type Stack } from '../support/stack.js';
import { promtool, sample, scrape, someTraffic } from './support.js';

/**
 * GET /metrics on every service, against the real stack (NATS with JetStream, PostgreSQL, the
 * three services). The three run in this one process here, so they share one registry; as
 * separate processes (npm start, compose) each shows its own.
 */
describe('GET /metrics', () => {
  let stack: Stack;
  let services: { name: string; url: string }[];

  beforeAll(async () => {
    stack = await startStack();
    services = [stack.gateway, stack.integration, stack.scanner].map((s) => ({
      name: s.name,
      url: s.url,
    }));
    await someTraffic(stack);
  }, 120_000);

  afterAll(async () => {
    await stack?.close();
  });

  test('given the running services, when scraped without a key, then each answers the text format and promtool accepts it', async () => {
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
    const { body } = await scrape(stack.gateway.url);
    expect(
      sample(body, 'bus_request_duration_seconds_count', {
        subject: 'integrations.cmd.connect',
        outcome: 'ok',
      }),
    ).toBe(1);
    expect(
      sample(body, 'event_store_append_duration_seconds_count', { schema: 'integration' }),
    ).toBeGreaterThanOrEqual(2);
    expect(sample(body, 'event_publisher_published_total')).toBeGreaterThanOrEqual(2);
    expect(sample(body, 'event_publisher_lag_positions')).toBeGreaterThanOrEqual(0);
    expect(sample(body, 'projection_events_applied_total')).toBeGreaterThanOrEqual(2);
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

  test('labels stay bounded: no workspace, integration or delivery ids in any series', async () => {
    for (const { url } of services) {
      const { body } = await scrape(url);
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
