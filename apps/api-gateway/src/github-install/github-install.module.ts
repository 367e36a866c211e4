import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module.js';
import { BusModule } from '../bus/bus.module.js';
import { GatewayIntegrationsModule } from '../integrations/integrations.module.js';
import { ProjectionsModule } from '../projections/projections.module.js';
import { GithubInstallController } from './github-install.controller.js';

@Module({
  imports: [AuthModule, BusModule, ProjectionsModule, GatewayIntegrationsModule],
  controllers: [GithubInstallController],
})
export class GithubInstallModule {}
