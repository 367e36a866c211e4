import fastifyHelmet from '@fastify/helmet';
import type { FastifyInstance } from 'fastify';

/**
 * Helmet's standard headers on every answer (HSTS, nosniff, frame denial, referrer policy, a
 * Content-Security-Policy, ...). Helmet's default CSP allows scripts only from this origin, which
 * Swagger UI at `/api/docs` meets because its start-up script is a file (see swagger-ui.ts),
 * not inline; its inline styles and data: images are within the default policy.
 */
export async function addSecurityHeaders(fastify: FastifyInstance): Promise<void> {
  await fastify.register(fastifyHelmet, { global: true });
}
