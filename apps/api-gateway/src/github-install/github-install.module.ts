import { Module } from '@nestjs/common';
import { GatewayIntegrationsModule } from '../integrations/integrations.module.js';
import { GithubInstallController } from './github-install.controller.js';

@Module({ imports: [GatewayIntegrationsModule], controllers: [GithubInstallController] })
export class GithubInstallModule {}
