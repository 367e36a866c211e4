import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { toApiError } from '../errors/to-api-error.js';
import { sendApiError } from '../errors/render.js';
import { sendJsonApiError } from '../rest/jsonapi-exception.filter.js';
import type { RateLimits } from './rate-limits.js';

/**
 * Paths outside the per-address limit: health probes (a balancer polls them from one address)
 * and GitHub's deliveries (authenticated by signature, bounded by bodies in flight instead).
 */
const unlimited = (url: string) => url.startsWith('/health') || url.startsWith('/api/webhooks/');

/**
 * The per-address limit as the first `onRequest` hook of the gateway, so it runs before any
 * route (the list fast path included) and before any key is looked up.
 */
export function limitRequests(fastify: FastifyInstance, limits: RateLimits): void {
  if (!limits.enabled) return;
  fastify.decorateReply('rateLimitShown', Number.POSITIVE_INFINITY);
  fastify.addHook('onRequest', (request, reply, done) => {
    if (unlimited(request.url)) return done();
    try {
      limits.takeAddress(request, reply);
    } catch (error) {
      return sendError(request, reply, error);
    }
    done();
  });
}

/** An error raised before Nest's filters run, in the format of the API the path belongs to. */
export function sendError(request: FastifyRequest, reply: FastifyReply, error: unknown): void {
  if (request.url.startsWith('/rest/')) sendJsonApiError(reply, error);
  else sendApiError(reply, toApiError(error));
}
