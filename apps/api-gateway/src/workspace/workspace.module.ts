import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module.js';
import { WorkspaceController } from './workspace.controller.js';
import { IdempotentRequests } from '../http/idempotency.js';
import { WorkspaceEventsPublisher } from './workspace-events.publisher.js';

@Module({
  imports: [AuthModule],
  controllers: [WorkspaceController],
  providers: [IdempotentRequests, WorkspaceEventsPublisher],
})
export class WorkspaceModule {}
