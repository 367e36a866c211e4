import {
  Inject,
  Injectable,
  SetMetadata,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { JsonApiError } from './jsonapi.js';

const QUERY_PARAMETERS = 'rest:query-parameters';

/** The query parameters an operation knows, besides `version` (which every one takes). */
export const RestQueryParameters = (...names: string[]) => SetMetadata(QUERY_PARAMETERS, names);

/**
 * JSON:API: a server MUST answer 400 to a query parameter it does not know how to process
 * (`include`, `sort`, `fields[...]`, `filter[...]`, or anything else this API does not define),
 * rather than ignore it and answer something the client did not ask for.
 */
@Injectable()
export class RestQueryGuard implements CanActivate {
  constructor(@Inject(Reflector) private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    const known = new Set([
      'version',
      ...(this.reflector.get<string[] | undefined>(QUERY_PARAMETERS, context.getHandler()) ?? []),
    ]);
    const query = context.switchToHttp().getRequest<FastifyRequest>().query as
      Record<string, unknown> | undefined;
    for (const name of Object.keys(query ?? {})) {
      if (!known.has(name)) {
        throw JsonApiError.of(
          400,
          'unknown_query_parameter',
          `This operation does not support the query parameter ${name}; it takes ${[...known].join(', ')}.`,
          { parameter: name },
        );
      }
    }
    return true;
  }
}
