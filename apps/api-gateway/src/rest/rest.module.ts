import { Inject, Module, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import { SERVICE_CONFIG } from '#libs/service-kit/src/index.js';
import { cursorSecret } from './cursor-secret.js';
import { DeletionsProjection } from './deletions.projection.js';
import { JsonApiExceptionFilter } from './jsonapi-exception.filter.js';
import { installJsonApiMediaType } from './media-type.js';
import { RestIntegrationAccess } from './rest-integration-access.js';
import { RestIntegrationSettingsController } from './rest-integration-settings.controller.js';
import { RestIntegrationsController } from './rest-integrations.controller.js';
import { RestIntegrationEventsController } from './rest-integration-events.controller.js';
import { AuditModule } from '../audit/index.js';
import { AuthModule } from '../auth/auth.module.js';
import { BusModule } from '../bus/bus.module.js';
import { ProjectionsModule } from '../projections/projections.module.js';
import { RestIntegrationsStore } from './rest-integrations.store.js';
import { RestListCache } from './rest-list-cache.js';
import { RestQueryGuard } from './rest-query.guard.js';
import { RestVersionGuard } from './rest-version.guard.js';
import type { RestConfig } from './rest.config.js';
import { CURSOR_SECRET } from './tokens.js';

/**
 * The Snyk REST API (versioned, JSON:API) under `/rest`. Needs the `Rest` migration.
 */
@Module({
  imports: [AuthModule, BusModule, ProjectionsModule, AuditModule],
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
      inject: [SERVICE_CONFIG],
      useFactory: (config: RestConfig) => cursorSecret(config.GATEWAY_SIGNING_KEY),
    },
  ],
})
export class RestModule implements OnModuleInit {
  constructor(@Inject(HttpAdapterHost) private readonly http: HttpAdapterHost) {}

  onModuleInit(): void {
    installJsonApiMediaType(this.http.httpAdapter.getInstance<FastifyInstance>());
  }
}
