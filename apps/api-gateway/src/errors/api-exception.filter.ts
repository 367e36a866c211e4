import { Catch, Inject, type ArgumentsHost } from '@nestjs/common';
import { BaseExceptionFilter } from '@nestjs/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { LOGGER } from '#libs/service-kit/src/index.js';
import { toApiError } from './to-api-error.js';
import { sendApiError } from './render.js';

/** Paths whose errors this filter renders; everything else keeps Nest's default handling. */
export function isApiPath(url: string): boolean {
  return url === '/api' || url.startsWith('/api/') || url.startsWith('/api?');
}

/**
 * Renders every error raised under `/api` as `{ error: { code, message, details } }` with the
 * status its kind implies (503 adds `Retry-After`). Other paths (`/rest`, `/health`) are left to
 * their own filters or to Nest's default, so terminus and JSON:API keep their formats.
 */
@Catch()
export class ApiExceptionFilter extends BaseExceptionFilter {
  @Inject(LOGGER) private readonly logger!: Logger;

  override catch(exception: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http') return super.catch(exception, host);
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    if (!isApiPath(request.url)) return super.catch(exception, host);
    const error = toApiError(exception);
    if (error.kind === 'internal') {
      this.logger.error({ err: exception, url: request.url }, 'unhandled error answering /api');
    }
    sendApiError(http.getResponse<FastifyReply>(), error);
  }
}
