import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { TokenAuthGuard } from '../auth/token-auth.guard.js';
import { sendApiError } from '../errors/render.js';
import { toApiError } from '../errors/to-api-error.js';
import { validate } from '../http/validate.js';
import { RateLimits } from '../limits/rate-limits.js';
import { IntegrationListCache } from './integration-list-cache.js';
import { ListQuery } from './list-query.js';

/**
 * `GET /api/integrations` is the hottest read: it is answered in a Fastify `onRequest` hook, with
 * the same guard, the same validation, the same read model and the same error shape as the Nest
 * route `IntegrationsController.list` (which stays the documented route and answers if this hook
 * is not installed), but without the per-request Nest pipeline (router proxy, interceptors,
 * param decorators), which on this machine cost about half the throughput of a bare route.
 * Rate limits apply as on every route: the address's in the gateway-wide hook that runs first
 * (see `limitRequests`), the key's here.
 */
export function serveIntegrationListFast(app: NestFastifyApplication): void {
  const fastify = app.getHttpAdapter().getInstance() as unknown as FastifyInstance;
  const guard = app.get(TokenAuthGuard);
  const cache = app.get(IntegrationListCache);
  const limits = app.get(RateLimits);
  const answer = async (request: FastifyRequest, reply: FastifyReply) => {
    try {
      const auth = await guard.authenticate(request, reply);
      const { status } = validate(ListQuery, request.query, 'query');
      send(reply, await cache.body(auth.workspaceId, status));
    } catch (error) {
      sendApiError(reply, toApiError(error));
    }
  };
  fastify.addHook('onRequest', (request: FastifyRequest, reply: FastifyReply, done) => {
    if (request.method !== 'GET' || request.routeOptions.url !== '/api/integrations') return done();
    // A known key and a kept list are answered without a single promise: under load, each
    // await on this path cost measurable throughput. Anything else takes the awaited path.
    const member = guard.knownMember(request.headers.authorization);
    const query = member && ListQuery.safeParse(request.query ?? {});
    const kept = query?.success ? cache.cached(member!.workspaceId, query.data.status) : undefined;
    if (kept !== undefined) {
      try {
        limits.takeKey(reply, member!);
      } catch (error) {
        return sendApiError(reply, toApiError(error));
      }
      return send(reply, kept);
    }
    void answer(request, reply);
  });
}

function send(reply: FastifyReply, body: string): void {
  void reply.type('application/json; charset=utf-8').send(body);
}
