import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import helmet from 'helmet';

/**
 * Helmet's standard headers on every answer (HSTS, nosniff, frame denial, referrer policy, a
 * Content-Security-Policy, ...). Helmet's default CSP allows scripts only from this origin, which
 * Swagger UI at `/api/docs` meets because its start-up script is a file (see swagger-ui.ts),
 * not inline; its inline styles and data: images are within the default policy.
 *
 * Without nonces these headers are the same on every answer, so Helmet computes them once here
 * and each request only copies them. (`@fastify/helmet` rebuilt Helmet's middleware, CSP
 * parsing included, on every request, through an async hook: about a tenth of the CPU of a
 * cached list request.)
 */
export function addSecurityHeaders(fastify: FastifyInstance): void {
  const headers = helmetHeaders();
  fastify.addHook('onRequest', (_request, reply, done) => {
    reply.headers(headers);
    done();
  });
}

/** The headers Helmet's default policy sets, as Helmet itself writes them. */
export function helmetHeaders(): Record<string, string> {
  const headers: Record<string, string> = {};
  const response = {
    setHeader(name: string, value: string | number) {
      headers[name.toLowerCase()] = String(value);
    },
    removeHeader(name: string) {
      delete headers[name.toLowerCase()];
    },
  };
  helmet()({} as IncomingMessage, response as unknown as ServerResponse, (error?: unknown) => {
    if (error) throw error;
  });
  return headers;
}
