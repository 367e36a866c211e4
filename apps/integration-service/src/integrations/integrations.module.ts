import { Module } from '@nestjs/common';
import { IntegrationHandlers } from './integration.handlers.js';

@Module({ controllers: [IntegrationHandlers] })
export class IntegrationCommandsModule {}
