import { Module } from '@nestjs/common';
import { PROVIDERS } from '#libs/contracts/src/index.js';
import { SERVICE_CONFIG } from '#libs/service-kit/src/index.js';
import type { IntegrationServiceConfig } from '../config.js';
import { WriteSideModule } from '../write-side/write-side.module.js';
import { HEALTH_CHECKER, ProviderHealthHandlers } from './provider-health.handlers.js';
import { ProviderHealthChecker, readGithubPrivateKey } from './provider-health-checker.js';
import type { OutboundGuard } from '../outbound/outbound-guard.js';
import { OutboundModule } from '../outbound/outbound.module.js';
import { OUTBOUND_GUARD } from '../outbound/url-fields.js';

@Module({
  imports: [WriteSideModule, OutboundModule],
  controllers: [ProviderHealthHandlers],
  providers: [
    {
      provide: HEALTH_CHECKER,
      inject: [SERVICE_CONFIG, OUTBOUND_GUARD],
      useFactory: (config: IntegrationServiceConfig, outbound: OutboundGuard) => {
        const env = config as unknown as Record<string, string | undefined>;
        return new ProviderHealthChecker(
          {
            baseUrls: Object.fromEntries(
              PROVIDERS.map((p) => [p.api.baseUrlEnv, env[p.api.baseUrlEnv]]),
            ),
            ...(config.GITHUB_APP_ID ? { githubAppId: config.GITHUB_APP_ID } : {}),
            ...(readGithubPrivateKey(config)
              ? { githubPrivateKey: readGithubPrivateKey(config)! }
              : {}),
            timeoutMs: config.PROVIDER_HEALTH_TIMEOUT_MS,
          },
          outbound,
        );
      },
    },
  ],
})
export class ProviderHealthModule {}
