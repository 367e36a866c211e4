import { Module } from '@nestjs/common';
import { IntegrationReadModel } from './integration-read-model.js';
import { IntegrationsController } from './integrations.controller.js';
import { IntegrationListCache } from './integration-list-cache.js';

@Module({
  controllers: [IntegrationsController],
  providers: [IntegrationReadModel, IntegrationListCache],
  exports: [IntegrationReadModel, IntegrationListCache],
})
export class GatewayIntegrationsModule {}
