import {
  applyDecorators,
  Controller,
  UseFilters,
  UseGuards,
  UseInterceptors,
} from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { JsonApiExceptionFilter } from './jsonapi-exception.filter.js';
import { JsonApiResponseInterceptor } from './jsonapi-response.interceptor.js';
import { RestQueryGuard } from './rest-query.guard.js';
import { RestVersionGuard } from './rest-version.guard.js';

/**
 * A controller under `/rest/orgs/{org_id}/integrations`: the required version and the accepted
 * query parameters checked first, JSON:API errors and responses. Every such controller carries
 * the same set, so it is stated once here.
 */
export const RestIntegrationsApi = () =>
  applyDecorators(
    ApiTags('REST: org integrations (JSON:API)'),
    Controller('rest/orgs/:org_id/integrations'),
    UseGuards(RestVersionGuard, RestQueryGuard),
    UseFilters(JsonApiExceptionFilter),
    UseInterceptors(JsonApiResponseInterceptor),
  );
