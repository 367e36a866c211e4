import { Module } from '@nestjs/common';
import { ScheduledRunsConsumer } from './scheduled-runs.consumer.js';
import { Scheduler } from './scheduler.js';

@Module({ providers: [Scheduler, ScheduledRunsConsumer] })
export class SchedulesModule {}
