import { applyDecorators } from '@nestjs/common';
import {
  ApiBody,
  ApiConsumes,
  ApiOperation,
  ApiParam,
  ApiProduces,
  ApiQuery,
  ApiResponse,
} from '@nestjs/swagger';
import { JSONAPI_MEDIA_TYPE } from './jsonapi.js';
import { RestQueryParameters } from './rest-query.guard.js';
import { VERSION_PATTERN } from './version-resolution.js';

/**
 * One REST operation's description: the seed's `version` parameter, the path ids, JSON:API in
 * and out, the errors every operation can answer (OpenAPI), and the query parameters it accepts
 * (`RestQueryGuard` refuses any other).
 */
export function RestOperation(options: {
  summary: string;
  description: string;
  permission: 'org.integration.read' | 'org.integration.edit';
  integrationId?: boolean;
  body?: object;
  paged?: boolean;
}) {
  const decorators = [
    ApiOperation({
      summary: options.summary,
      description: `${options.description}\n\nRequired permission: \`${options.permission}\`.`,
    }),
    ApiProduces(JSONAPI_MEDIA_TYPE),
    ApiParam({ name: 'org_id', format: 'uuid', description: 'The organization (workspace) id' }),
    ApiQuery({
      name: 'version',
      required: true,
      description:
        'Requested API version: a date resolves to the newest version released on or before it',
      example: '2026-03-25',
      schema: { type: 'string', pattern: VERSION_PATTERN.source },
    }),
    ApiResponse({ status: 400, description: 'Missing or malformed version, or invalid input' }),
    ApiResponse({ status: 401, description: 'Missing, malformed, unknown or revoked API key' }),
    ApiResponse({ status: 403, description: `The key's role lacks ${options.permission}` }),
    ApiResponse({ status: 404, description: 'Unknown org for this key, or unknown integration' }),
  ];
  if (options.integrationId) {
    decorators.push(
      ApiParam({ name: 'integration_id', format: 'uuid', description: 'The integration id' }),
    );
  }
  if (options.paged) {
    decorators.push(
      RestQueryParameters('limit', 'starting_after', 'ending_before'),
      ApiQuery({
        name: 'limit',
        required: false,
        schema: { type: 'integer', minimum: 10, maximum: 100, default: 10 },
      }),
      ApiQuery({ name: 'starting_after', required: false, description: 'Cursor from links.next' }),
      ApiQuery({ name: 'ending_before', required: false, description: 'Cursor from links.prev' }),
    );
  }
  if (options.body) {
    decorators.push(
      ApiConsumes(JSONAPI_MEDIA_TYPE),
      ApiBody({ schema: { example: options.body } }),
      ApiResponse({ status: 415, description: `Body not sent as ${JSONAPI_MEDIA_TYPE}` }),
    );
  }
  return applyDecorators(...decorators);
}
