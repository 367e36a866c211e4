import { Module } from '@nestjs/common';
import { EngineModule } from '../engine.module.js';
import { RunsHandlers } from './runs.handlers.js';

@Module({ imports: [EngineModule], controllers: [RunsHandlers] })
export class RunsModule {}
