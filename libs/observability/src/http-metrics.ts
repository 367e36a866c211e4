import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import { httpRefusals, httpRequestDuration } from './metrics/http.js';
import { renderMetrics } from './metrics/registry.js';

const CLASSES = ['1xx', '2xx', '3xx', '4xx', '5xx'];
type Observer = { observe(value: number): void };
type OnResponse = (request: FastifyRequest, reply: FastifyReply, done: () => void) => void;

/**
 * Times every answer in an `onResponse` hook, including those answered in an `onRequest` hook
 * (the gateway's list fast path). The route label is Fastify's route template, or `unmatched`,
 * never the raw path, so labels stay bounded.
 *
 * Each route gets its own hook, made when the route is added, that knows its template and keeps
 * its label sets: the request path reads neither `request.routeOptions` (which builds an object
 * per call) nor a map keyed by a string built per request. Fastify runs only the global hooks
 * for answers no route matched, so one global hook counts those.
 */
export function instrumentHttp(fastify: FastifyInstance): void {
  fastify.addHook('onRoute', (route: RouteOptions) => {
    route.onResponse = [...[route.onResponse ?? []].flat(), timeAnswers(route.url)];
  });
  const unmatched = timeAnswers('unmatched');
  fastify.addHook('onResponse', (request, reply, done) => {
    if (request.is404) unmatched(request, reply, done);
    else done();
  });
}

/** The `onResponse` hook of one route: its label sets resolved once per method and status class. */
function timeAnswers(route: string): OnResponse {
  const byMethod = new Map<string, Observer[]>();
  return (request, reply, done) => {
    const status = reply.statusCode;
    const statusClass = Math.floor(status / 100) - 1;
    let observers = byMethod.get(request.method);
    if (observers === undefined) byMethod.set(request.method, (observers = []));
    const observer = (observers[statusClass] ??= httpRequestDuration.labels(
      request.method,
      route,
      CLASSES[statusClass] ?? 'other',
    ));
    observer.observe(reply.elapsedTime / 1000);
    if (status === 401 || status === 403 || status === 429)
      httpRefusals.inc({ status: String(status), route });
    done();
  };
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
