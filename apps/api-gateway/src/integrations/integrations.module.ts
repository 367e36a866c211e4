import { Module } from '@nestjs/common';
import { IntegrationReadModel } from './integration-read-model.js';
import { IntegrationsController } from './integrations.controller.js';

@Module({
  controllers: [IntegrationsController],
  providers: [IntegrationReadModel],
  exports: [IntegrationReadModel],
})
export class IntegrationsModule {}
