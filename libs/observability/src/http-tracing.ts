import type { FastifyInstance, FastifyRequest } from 'fastify';
import {
  context,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Context,
  type Span,
  type Attributes,
  type TextMapGetter,
} from '@opentelemetry/api';
import { tracer } from './trace-context.js';
import { tracingEnabled } from './tracing-state.js';

/** Scrapes and probes would be most of the traces and tell nothing. */
const QUIET = /^\/(metrics|health\/)/;

const SERVER = { kind: SpanKind.SERVER };
const SPAN = Symbol('http server span');
const CONTEXT = Symbol('http server context');
type Traced = FastifyRequest & { [SPAN]?: Span; [CONTEXT]?: Context };

const headerGetter: TextMapGetter<FastifyRequest['headers']> = {
  get: (headers, key) => headers[key],
  keys: (headers) => Object.keys(headers),
};

/**
 * One SERVER span per HTTP request, named by its route template, started in the first
 * `onRequest` hook (so requests a hook answers, like the list fast path, are traced) and ended
 * when the answer is sent. It continues the caller's `traceparent`.
 *
 * Why not the HTTP instrumentation's server spans (register.ts turns them off): it wraps every
 * request and response emitter in the context, parses the URL and records a dozen attributes,
 * which cost more than half the throughput of a cached list request. Here the span is made
 * active where the request's own code runs: through the rest of the `onRequest` hooks, and again
 * before the handler, because a body's events arrive outside the request's async context.
 */
export function traceHttp(fastify: FastifyInstance): void {
  if (!tracingEnabled()) return;
  const starts = new SpanStarts();
  fastify.addHook('onRequest', (request: Traced, _reply, done) => {
    if (QUIET.test(request.url)) return done();
    const parent = propagation.extract(ROOT_CONTEXT, request.headers, headerGetter);
    const { name, attributes } = starts.of(request.method, request.routeOptions.url);
    const span = tracer.startSpan(name, SERVER, parent);
    // Attributes are checked and copied only for spans that are kept (the samplers the standard
    // variables configure decide without them).
    if (span.isRecording()) {
      span.setAttributes(attributes);
      span.setAttribute('url.path', pathOf(request.url));
    }
    const active = trace.setSpan(parent, span);
    request[SPAN] = span;
    request[CONTEXT] = active;
    context.with(active, done);
  });
  fastify.addHook('preHandler', (request: Traced, _reply, done) => {
    const active = request[CONTEXT];
    // Without a body the request's own context is still the active one: entering it again
    // would cost a context switch per request for nothing.
    if (active && context.active() !== active) context.with(active, done);
    else done();
  });
  fastify.addHook('onRequestAbort', (request: Traced, done) => {
    request[SPAN]?.setStatus({ code: SpanStatusCode.ERROR, message: 'the client went away' });
    request[SPAN]?.end();
    done();
  });
  fastify.addHook('onResponse', (request: Traced, reply, done) => {
    const span = request[SPAN];
    if (span) {
      span.setAttribute('http.response.status_code', reply.statusCode);
      if (reply.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    }
    done();
  });
}

/** A span's name and attributes per method and route template, made once. */
class SpanStarts {
  private readonly byRoute = new Map<string | undefined, Map<string, SpanStart>>();

  of(method: string, route: string | undefined): SpanStart {
    let byMethod = this.byRoute.get(route);
    if (byMethod === undefined) this.byRoute.set(route, (byMethod = new Map()));
    let start = byMethod.get(method);
    if (start === undefined) {
      start = {
        name: route ? `${method} ${route}` : method,
        attributes: { 'http.request.method': method, ...(route ? { 'http.route': route } : {}) },
      };
      byMethod.set(method, start);
    }
    return start;
  }
}

interface SpanStart {
  name: string;
  attributes: Attributes;
}

function pathOf(url: string): string {
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}
