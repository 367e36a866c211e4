import { Module } from '@nestjs/common';
import { WebhookTriggersConsumer } from './webhook-triggers.consumer.js';

@Module({ providers: [WebhookTriggersConsumer] })
export class TriggersModule {}
