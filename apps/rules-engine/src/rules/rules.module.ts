import { Module } from '@nestjs/common';
import { RuleEventsConsumer } from './rule-events.consumer.js';

@Module({ providers: [RuleEventsConsumer] })
export class EngineRulesModule {}
