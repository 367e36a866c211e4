import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module.js';
import { BusModule } from '../bus/bus.module.js';
import { ProjectionsModule } from '../projections/projections.module.js';
import { IntegrationReadModel } from './integration-read-model.js';
import { IntegrationsController } from './integrations.controller.js';
import { IntegrationListCache } from './integration-list-cache.js';

@Module({
  imports: [AuthModule, BusModule, ProjectionsModule],
  controllers: [IntegrationsController],
  providers: [IntegrationReadModel, IntegrationListCache],
  exports: [IntegrationReadModel, IntegrationListCache],
})
export class GatewayIntegrationsModule {}
