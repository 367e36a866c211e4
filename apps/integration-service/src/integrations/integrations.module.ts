import { Module } from '@nestjs/common';
import { GithubInstallationsModule } from '../github-installations/github-installations.module.js';
import { OutboundModule } from '../outbound/outbound.module.js';
import { WriteSideModule } from '../write-side/write-side.module.js';
import { IntegrationHandlers } from './integration.handlers.js';

/** Connect, disconnect, create, update and delete: they check URLs and hold installations. */
@Module({
  imports: [WriteSideModule, GithubInstallationsModule, OutboundModule],
  controllers: [IntegrationHandlers],
})
export class IntegrationCommandsModule {}
