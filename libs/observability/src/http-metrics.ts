import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { httpRefusals, httpRequestDuration } from './metrics/http.js';
import { renderMetrics } from './metrics/registry.js';

const CLASSES = ['1xx', '2xx', '3xx', '4xx', '5xx'];
type Observer = { observe(value: number): void };

/**
 * Times every request in an `onResponse` hook, including those answered in an `onRequest` hook
 * (the gateway's list fast path). The route label is Fastify's route template, or `unmatched`,
 * never the raw path, so labels stay bounded. Children are kept per label set: the hot path does
 * one map lookup and one observe.
 */
export function instrumentHttp(fastify: FastifyInstance): void {
  const children = new Map<string, Observer>();
  fastify.addHook('onResponse', (request: FastifyRequest, reply: FastifyReply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const status = reply.statusCode;
    const key = `${request.method} ${status / 100} ${route}`;
    let child = children.get(key);
    if (child === undefined) {
      child = httpRequestDuration.labels(
        request.method,
        route,
        CLASSES[Math.floor(status / 100) - 1] ?? 'other',
      );
      children.set(key, child);
    }
    child.observe(reply.elapsedTime / 1000);
    if (status === 401 || status === 403 || status === 429)
      httpRefusals.inc({ status: String(status), route });
    done();
  });
}

/**
 * `GET /metrics` in the Prometheus text format, outside `/api` and `/rest` and without an API key:
 * ops expose it only on the internal network (see README, Observability).
 */
export function serveMetrics(fastify: FastifyInstance): void {
  fastify.get('/metrics', { logLevel: 'warn' }, async (_request, reply) => {
    const { body, contentType } = await renderMetrics();
    return reply.type(contentType).send(body);
  });
}
