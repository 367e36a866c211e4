import { HttpException } from '@nestjs/common';
import { ApiError } from './api-error.js';

/** Fastify's own error codes for bodies it refused before any handler ran. */
const FASTIFY_CODES: Record<string, () => ApiError> = {
  FST_ERR_CTP_BODY_TOO_LARGE: () =>
    new ApiError('payload_too_large', 'payload_too_large', 'the request body exceeds 1 MB'),
  FST_ERR_CTP_INVALID_MEDIA_TYPE: () =>
    new ApiError(
      'unsupported_media_type',
      'unsupported_media_type',
      'send the body as application/json (rules also accept application/yaml)',
    ),
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: () =>
    new ApiError('malformed', 'malformed_body', 'the Content-Length does not match the body'),
  FST_ERR_CTP_EMPTY_JSON_BODY: () =>
    new ApiError('malformed', 'malformed_json', 'the body is empty but Content-Type says JSON'),
  FST_ERR_CTP_INVALID_JSON_BODY: () =>
    new ApiError('malformed', 'malformed_json', 'the body is not valid JSON'),
};

const HTTP_STATUS_KIND: Record<number, ApiError['kind']> = {
  400: 'validation',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  409: 'conflict',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'rate_limited',
  503: 'unavailable',
};

/**
 * Whatever was thrown while serving a request, as an ApiError: ours pass through, Nest's
 * HttpExceptions and Fastify's body errors map by status; anything else is an internal error
 * whose message is not shown (it may name internals).
 */
export function toApiError(exception: unknown): ApiError {
  if (exception instanceof ApiError) return exception;
  // Nest wraps Fastify's body errors in an HttpException whose cause is the original.
  const cause = exception instanceof HttpException ? exception.cause : undefined;
  if (cause instanceof ApiError) return cause;
  const code =
    (cause as { code?: unknown } | undefined)?.code ??
    (exception as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && code in FASTIFY_CODES) return FASTIFY_CODES[code]!();
  if (exception instanceof SyntaxError && (exception as { statusCode?: number }).statusCode === 400)
    return FASTIFY_CODES.FST_ERR_CTP_INVALID_JSON_BODY!();
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    const kind = HTTP_STATUS_KIND[status];
    if (status === 404) {
      return new ApiError('not_found', 'route_not_found', 'no such endpoint');
    }
    if (kind)
      return new ApiError(kind, kind, messageOf(exception.getResponse(), exception.message));
  }
  const statusCode = (exception as { statusCode?: unknown } | null)?.statusCode;
  if (typeof statusCode === 'number' && HTTP_STATUS_KIND[statusCode]) {
    const kind = HTTP_STATUS_KIND[statusCode]!;
    return new ApiError(kind, kind, (exception as Error).message ?? kind);
  }
  return new ApiError('internal', 'internal', 'something went wrong on our side');
}

function messageOf(response: unknown, fallback: string): string {
  if (typeof response === 'string') return response;
  const message = (response as { message?: unknown } | null)?.message;
  if (typeof message === 'string') return message;
  if (Array.isArray(message)) return message.join('; ');
  return fallback;
}
