import { Module, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type pg from 'pg';
import type { Logger } from 'pino';
import { findProvider } from '#libs/contracts/src/index.js';
import { LOGGER, SERVICE_CONFIG } from '#libs/service-kit/src/index.js';
import { readGithubPrivateKey } from '../health/provider-health-checker.js';
import type { IntegrationServiceConfig } from '../config.js';
import { GithubAdapter } from './github-adapter.js';
import { GITHUB_ADAPTER, ProviderCallsHandlers, SLACK_ADAPTER } from './provider-calls.handlers.js';
import { SlackAdapter } from './slack-adapter.js';
import { PG_POOL, WriteSideModule } from '../write-side/write-side.module.js';
import { ConnectedIntegrations } from './connected-integrations.js';

/** Provider calls for the rules engine: the adapters and the bus handlers in front of them. */
@Module({
  imports: [WriteSideModule],
  controllers: [ProviderCallsHandlers],
  providers: [
    {
      provide: ConnectedIntegrations,
      inject: [PG_POOL, SERVICE_CONFIG, LOGGER],
      useFactory: (pool: pg.Pool, config: IntegrationServiceConfig, logger: Logger) =>
        new ConnectedIntegrations(pool, config.DATABASE_URL, logger),
    },
    {
      provide: GITHUB_ADAPTER,
      inject: [SERVICE_CONFIG],
      useFactory: (config: IntegrationServiceConfig) => {
        const urls = config as unknown as Record<string, string | undefined>;
        const key = readGithubPrivateKey(config);
        return new GithubAdapter({
          baseUrl: (urls.GITHUB_API_URL ?? findProvider('github')!.api.defaultBaseUrl).replace(
            /\/+$/,
            '',
          ),
          ...(config.GITHUB_APP_ID ? { appId: config.GITHUB_APP_ID } : {}),
          ...(key ? { privateKey: key } : {}),
          timeoutMs: config.PROVIDER_CALL_TIMEOUT_MS,
        });
      },
    },
    {
      provide: SLACK_ADAPTER,
      inject: [SERVICE_CONFIG],
      useFactory: (config: IntegrationServiceConfig) =>
        new SlackAdapter({
          baseUrl:
            (config as unknown as Record<string, string | undefined>).SLACK_API_URL ??
            findProvider('slack')!.api.defaultBaseUrl,
          timeoutMs: config.PROVIDER_CALL_TIMEOUT_MS,
          maxRetryAfterSeconds: 2,
        }),
    },
  ],
})
export class ProvidersModule implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(private readonly connected: ConnectedIntegrations) {}

  onApplicationBootstrap(): void {
    this.connected.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.connected.stop();
  }
}
