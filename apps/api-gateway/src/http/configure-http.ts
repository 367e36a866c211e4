import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { parse as parseYaml } from 'yaml';
import { ApiError } from '../errors/api-error.js';
import { isApiPath } from '../errors/api-exception.filter.js';
import { sendApiError } from '../errors/render.js';

export const YAML_TYPES = ['application/yaml', 'application/x-yaml', 'text/yaml'];

/** `/api` paths whose bodies follow other rules (GitHub deliveries are verified raw). */
const OWN_BODY_RULES = ['/api/webhooks/'];

/** `/api` paths that accept a YAML body besides JSON. */
const YAML_PATHS = /^\/api\/rules(?:[/?]|$)/;

/**
 * Body handling for `/api`: JSON everywhere, YAML for rules, 415 for anything else (Fastify
 * would otherwise accept text/plain). What Fastify refuses before a handler runs (413 over 1 MB,
 * malformed JSON) reaches Nest's exception layer wrapped in an HttpException, and `toApiError`
 * unwraps it.
 */
export function configureHttp(app: NestFastifyApplication): void {
  const fastify = app.getHttpAdapter().getInstance() as unknown as FastifyInstance;

  fastify.addContentTypeParser(YAML_TYPES, { parseAs: 'string' }, (_request, body, done) => {
    try {
      done(null, parseYaml(body as string) ?? {});
    } catch (error) {
      done(
        new ApiError(
          'malformed',
          'malformed_yaml',
          `the body is not valid YAML: ${(error as Error).message.split('\n')[0]}`,
        ),
        undefined,
      );
    }
  });

  fastify.addHook('preValidation', (request, reply, done) => {
    const problem = contentTypeProblem(request);
    if (problem) return sendApiError(reply, problem);
    done();
  });
}

function contentTypeProblem(request: FastifyRequest): ApiError | undefined {
  if (!isApiPath(request.url) || OWN_BODY_RULES.some((p) => request.url.startsWith(p))) return;
  if (!hasBody(request)) return;
  const type = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type === 'application/json') return;
  if (YAML_TYPES.includes(type) && YAML_PATHS.test(request.url)) return;
  return new ApiError(
    'unsupported_media_type',
    'unsupported_media_type',
    YAML_PATHS.test(request.url)
      ? `send the body as application/json or application/yaml, not ${type || 'no type'}`
      : `send the body as application/json, not ${type || 'no type'}`,
  );
}

function hasBody(request: FastifyRequest): boolean {
  const length = request.headers['content-length'];
  if (length !== undefined) return Number(length) > 0;
  return request.headers['transfer-encoding'] !== undefined;
}
