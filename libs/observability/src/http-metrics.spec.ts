import { describe, expect, test } from '@jest/globals';
import Fastify from 'fastify';
import { instrumentHttp } from './http-metrics.js';
import { metricsRegistry } from './metrics/registry.js';

/** `http_request_duration_seconds_count` per label set, as the registry would expose it. */
async function counts(): Promise<Record<string, number>> {
  const { values } = (await metricsRegistry
    .getSingleMetric('http_request_duration_seconds')!
    .get()) as { values: { labels: Record<string, string>; value: number; metricName?: string }[] };
  return Object.fromEntries(
    values
      .filter((v) => v.metricName === 'http_request_duration_seconds_count')
      .map((v) => [`${v.labels.method} ${v.labels.route} ${v.labels.status_class}`, v.value]),
  );
}

describe('instrumentHttp', () => {
  test('given routes added after it, when requests are answered, then each counts once under its template, HEAD and unmatched apart', async () => {
    const app = Fastify();
    instrumentHttp(app);
    const route = `/things-${Date.now()}/:id`;
    app.get(route, async (request, reply) =>
      (request.params as { id: string }).id === 'gone' ? reply.code(404).send() : { ok: true },
    );
    // An answer given before the route's handler, as the gateway's list fast path does.
    app.addHook('onRequest', (request, reply, done) => {
      if (request.headers['x-early'] === '1') return void reply.code(429).send();
      done();
    });
    const before = await counts();

    const thing = route.replace(':id', '1');
    await app.inject({ url: thing });
    await app.inject({ url: thing });
    await app.inject({ url: route.replace(':id', 'gone') });
    await app.inject({ method: 'HEAD', url: thing });
    await app.inject({ url: thing, headers: { 'x-early': '1' } });
    await app.inject({ url: `/nowhere-${Date.now()}` });

    const after = await counts();
    const added = (key: string) => (after[key] ?? 0) - (before[key] ?? 0);
    expect({
      ok: added(`GET ${route} 2xx`),
      missing: added(`GET ${route} 4xx`),
      head: added(`HEAD ${route} 2xx`),
      unmatched: added('GET unmatched 4xx'),
    }).toEqual({ ok: 2, missing: 2, head: 1, unmatched: 1 });
    const refused = await metricsRegistry.getSingleMetric('http_refusals_total')!.get();
    expect(
      refused.values.find((v) => v.labels.route === route && v.labels.status === '429')?.value,
    ).toBe(1);
    await app.close();
  });
});
