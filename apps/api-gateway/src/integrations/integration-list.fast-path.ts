import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { TokenAuthGuard } from '../auth/token-auth.guard.js';
import { sendApiError } from '../errors/render.js';
import { toApiError } from '../errors/to-api-error.js';
import { validate } from '../http/validate.js';
import { IntegrationListCache } from './integration-list-cache.js';
import { ListQuery } from './list-query.js';

/**
 * `GET /api/integrations` is the hottest read: it is answered in a Fastify `onRequest` hook, with
 * the same guard, the same validation, the same read model and the same error shape as the Nest
 * route `IntegrationsController.list` (which stays the documented route and answers if this hook
 * is not installed), but without the per-request Nest pipeline (router proxy, interceptors,
 * param decorators), which on this machine cost about half the throughput of a bare route.
 */
export function serveIntegrationListFast(app: NestFastifyApplication): void {
  const fastify = app.getHttpAdapter().getInstance() as unknown as FastifyInstance;
  const guard = app.get(TokenAuthGuard);
  const cache = app.get(IntegrationListCache);
  fastify.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    if (request.method !== 'GET' || request.routeOptions.url !== '/api/integrations') return;
    try {
      const auth = await guard.authenticate(request.headers.authorization);
      const { status } = validate(ListQuery, request.query, 'query');
      const body = await cache.body(auth.workspaceId, status);
      await reply.type('application/json; charset=utf-8').send(body);
    } catch (error) {
      sendApiError(reply, toApiError(error));
    }
    return reply;
  });
}
