import { Module } from '@nestjs/common';
import { WorkspaceController } from './workspace.controller.js';
import { IdempotentRequests } from '../http/idempotency.js';
import { WorkspaceEventsPublisher } from './workspace-events.publisher.js';

@Module({
  controllers: [WorkspaceController],
  providers: [IdempotentRequests, WorkspaceEventsPublisher],
})
export class WorkspaceModule {}
