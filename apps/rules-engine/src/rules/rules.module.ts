import { Module } from '@nestjs/common';
import { EngineModule } from '../engine.module.js';
import { RuleEventsConsumer } from './rule-events.consumer.js';

@Module({ imports: [EngineModule], providers: [RuleEventsConsumer] })
export class EngineRulesModule {}
