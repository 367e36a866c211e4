import { Module } from '@nestjs/common';
import { WorkspaceController } from './workspace.controller.js';
import { IdempotentRequests } from '../http/idempotency.js';

@Module({ controllers: [WorkspaceController], providers: [IdempotentRequests] })
export class WorkspaceModule {}
