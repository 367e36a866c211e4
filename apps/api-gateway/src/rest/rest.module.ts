import { Inject, Module, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import type { DataSource } from 'typeorm';
import { DATA_SOURCE } from '#libs/service-kit/src/index.js';
import { loadCursorSecret } from './cursor-secret.js';
import { DeletionsProjection } from './deletions.projection.js';
import { JsonApiExceptionFilter } from './jsonapi-exception.filter.js';
import { installJsonApiMediaType } from './media-type.js';
import { RestIntegrationAccess } from './rest-integration-access.js';
import { RestIntegrationSettingsController } from './rest-integration-settings.controller.js';
import { RestIntegrationsController } from './rest-integrations.controller.js';
import { RestIntegrationEventsController } from './rest-integration-events.controller.js';
import { AuditModule } from '../audit/index.js';
import { RestIntegrationsStore } from './rest-integrations.store.js';
import { RestListCache } from './rest-list-cache.js';
import { RestQueryGuard } from './rest-query.guard.js';
import { RestVersionGuard } from './rest-version.guard.js';
import { CURSOR_SECRET } from './tokens.js';

/**
 * The versioned JSON:API REST API of seeds/002 under `/rest`. Needs the gateway's auth, bus and
 * projections modules (global) and the `Rest` migration.
 */
@Module({
  imports: [AuditModule],
  controllers: [
    RestIntegrationsController,
    RestIntegrationSettingsController,
    RestIntegrationEventsController,
  ],
  providers: [
    RestIntegrationsStore,
    RestIntegrationAccess,
    DeletionsProjection,
    RestListCache,
    RestVersionGuard,
    RestQueryGuard,
    JsonApiExceptionFilter,
    {
      provide: CURSOR_SECRET,
      inject: [DATA_SOURCE],
      useFactory: (dataSource: DataSource) => loadCursorSecret(dataSource),
    },
  ],
})
export class RestModule implements OnModuleInit {
  constructor(@Inject(HttpAdapterHost) private readonly http: HttpAdapterHost) {}

  onModuleInit(): void {
    installJsonApiMediaType(this.http.httpAdapter.getInstance<FastifyInstance>());
  }
}
