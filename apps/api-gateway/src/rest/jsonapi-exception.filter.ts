import { Catch, Inject, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { LOGGER } from '#libs/service-kit/src/index.js';
import { toApiError } from '../errors/to-api-error.js';
import type { ApiError } from '../errors/api-error.js';
import {
  attributePointer,
  errorDocument,
  errorObject,
  JSONAPI_MEDIA_TYPE,
  JsonApiError,
  type JsonApiErrorObject,
} from './jsonapi.js';

/**
 * Renders every error under `/rest` as a JSON:API document with an `errors` array. Errors raised
 * in JSON:API terms pass through; the gateway's shared `ApiError`s (auth, bus, service replies)
 * are translated, one error object per field issue, each pointing into the request document.
 */
@Catch()
export class JsonApiExceptionFilter implements ExceptionFilter {
  constructor(@Inject(LOGGER) private readonly logger: Logger) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const status = sendJsonApiError(http.getResponse<FastifyReply>(), exception);
    if (status >= 500 && status !== 503) {
      this.logger.error(
        { err: exception, url: http.getRequest<FastifyRequest>().url },
        'unhandled error answering /rest',
      );
    }
  }
}

/** Answers with `exception` as a JSON:API error document; returns the status sent. */
export function sendJsonApiError(reply: FastifyReply, exception: unknown): number {
  const { status, errors, retryAfterSeconds } = toJsonApi(exception);
  if (retryAfterSeconds !== undefined) void reply.header('retry-after', String(retryAfterSeconds));
  void reply
    .status(status)
    .header('content-type', JSONAPI_MEDIA_TYPE)
    .send(JSON.stringify(errorDocument(errors)));
  return status;
}

export function toJsonApi(exception: unknown): {
  status: number;
  errors: JsonApiErrorObject[];
  retryAfterSeconds?: number;
} {
  if (exception instanceof JsonApiError) {
    return { status: exception.status, errors: exception.errors };
  }
  const error = toApiError(exception);
  const status = error.status;
  const retryAfterSeconds = error.retryAfter;
  return {
    status,
    errors: errorObjects(error, status),
    ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }),
  };
}

function errorObjects(error: ApiError, status: number): JsonApiErrorObject[] {
  const issues = Array.isArray(error.details) ? error.details : [];
  if (issues.length === 0) return [errorObject(status, error.code, sentence(error.message))];
  return issues.map((issue) =>
    errorObject(status, error.code, sentence(`${issue.field}: ${issue.message}`), {
      pointer: attributePointer(issue.field),
    }),
  );
}

const sentence = (text: string) => {
  const capital = text.charAt(0).toUpperCase() + text.slice(1);
  return /[.!?]$/.test(capital) ? capital : `${capital}.`;
};
