import { Module } from '@nestjs/common';
import { WriteSideModule } from '../write-side/write-side.module.js';
import { IntegrationHandlers } from './integration.handlers.js';

@Module({ imports: [WriteSideModule], controllers: [IntegrationHandlers] })
export class IntegrationCommandsModule {}
