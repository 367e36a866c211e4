import { Module } from '@nestjs/common';
import type { Logger } from 'pino';
import { LOGGER, SERVICE_CONFIG } from '#libs/service-kit/src/index.js';
import { readGithubPrivateKey } from '../health/provider-health-checker.js';
import type { IntegrationServiceConfig } from '../config.js';
import { GithubAppClient } from './github-app-client.js';
import { WriteSideModule } from '../write-side/write-side.module.js';
import { GithubInstallationHandlers } from './github-installations.handlers.js';
import { GITHUB_INSTALLATIONS, GithubInstallations } from './github-installations.js';

/** Which workspace holds which GitHub installation; the connect handlers ask it. */
@Module({
  imports: [WriteSideModule],
  controllers: [GithubInstallationHandlers],
  providers: [
    {
      provide: GITHUB_INSTALLATIONS,
      inject: [SERVICE_CONFIG, LOGGER],
      useFactory: (config: IntegrationServiceConfig, logger: Logger) =>
        new GithubInstallations(
          new GithubAppClient({
            baseUrl:
              (config as unknown as Record<string, string | undefined>).GITHUB_API_URL ??
              'https://api.github.com',
            appId: config.GITHUB_APP_ID,
            privateKey: readGithubPrivateKey(config),
            timeoutMs: config.PROVIDER_HEALTH_TIMEOUT_MS,
          }),
          config.GITHUB_CONNECT_REQUIRES_INSTALL_FLOW,
          logger,
        ),
    },
  ],
  exports: [GITHUB_INSTALLATIONS],
})
export class GithubInstallationsModule {}
