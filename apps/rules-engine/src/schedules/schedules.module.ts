import { Module } from '@nestjs/common';
import { EngineModule } from '../engine.module.js';
import { ScheduledRunsConsumer } from './scheduled-runs.consumer.js';
import { Scheduler } from './scheduler.js';

@Module({ imports: [EngineModule], providers: [Scheduler, ScheduledRunsConsumer] })
export class SchedulesModule {}
