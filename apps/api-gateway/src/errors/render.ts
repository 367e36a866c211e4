import type { FastifyReply } from 'fastify';
import type { ApiError } from './api-error.js';

/** The `/api` error body: `{ "error": { "code", "message", "details" } }`. */
export function apiErrorBody(error: ApiError) {
  return {
    error: {
      code: error.code,
      message: error.message,
      ...(error.details === undefined ? {} : { details: error.details }),
    },
  };
}

export function sendApiError(reply: FastifyReply, error: ApiError): void {
  if (error.retryAfter !== undefined) reply.header('retry-after', String(error.retryAfter));
  void reply.status(error.status).type('application/json; charset=utf-8').send(apiErrorBody(error));
}
