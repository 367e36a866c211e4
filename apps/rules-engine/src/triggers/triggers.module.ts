import { Module } from '@nestjs/common';
import { EngineModule } from '../engine.module.js';
import { WebhookTriggersConsumer } from './webhook-triggers.consumer.js';

@Module({ imports: [EngineModule], providers: [WebhookTriggersConsumer] })
export class TriggersModule {}
