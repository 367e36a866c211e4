import { Module, type DynamicModule } from '@nestjs/common';
import { z } from 'zod';
import { IntegrationSubjects, PROVIDERS, Streams } from '#libs/contracts/src/index.js';
import { base64Key32, flag, port, type CommonEnv } from '#libs/config/src/index.js';
import type { Infrastructure, ServiceSpec } from '#libs/service-kit/src/index.js';
import { IntegrationCommandsModule } from './integrations/integrations.module.js';
import { RuleCommandsModule } from './rules/rules.module.js';
import { ProviderHealthModule } from './health/provider-health.module.js';
import { ProvidersModule } from './providers/providers.module.js';
import { GithubInstallationsModule } from './github-installations/github-installations.module.js';
import { GithubInstallationHolds1764100002000 } from './github-installations/github-installations.migration.js';
import { WriteSide1764100000000 } from './migrations/1764100000000-write-side.js';
import { IntegrationSnapshots1764100001000 } from './migrations/1764100001000-integration-snapshots.js';
import { WriteSide } from './write-side/write-side.js';
import { WriteSideModule } from './write-side/write-side.module.js';

/** Each provider's API base URL for the health check, e.g. SLACK_API_URL; defaults in the catalog. */
const providerApiUrls = Object.fromEntries(
  PROVIDERS.map((p) => [p.api.baseUrlEnv, z.url().optional()]),
) as Record<string, z.ZodOptional<z.ZodURL>>;

const env = {
  PORT: port(3001),
  /** 32 bytes, base64: wraps every integration's data key. Required: no default key exists. */
  CREDENTIALS_MASTER_KEY: base64Key32,
  /** How often the publisher looks for events appended by other replicas. */
  EVENT_PUBLISH_POLL_MS: z.coerce.number().int().positive().default(20),
  GITHUB_APP_ID: z.string().regex(/^\d+$/, 'expected the numeric app id').optional(),
  GITHUB_APP_PRIVATE_KEY: z.string().optional(),
  GITHUB_APP_PRIVATE_KEY_PATH: z.string().optional(),
  PROVIDER_HEALTH_TIMEOUT_MS: z.coerce.number().int().positive().default(5000),
  /** Bound on each provider call a rule's check or action makes. */
  PROVIDER_CALL_TIMEOUT_MS: z.coerce.number().int().positive().default(5000),
  /**
   * A GitHub connect names an installation this workspace's install flow verified. `false` lets
   * a bare `{installationId, accountLogin}` connect (the sandbox and tests), other checks stay.
   */
  GITHUB_CONNECT_REQUIRES_INSTALL_FLOW: flag(true),
  ...providerApiUrls,
};

export type IntegrationServiceConfig = z.infer<z.ZodObject<typeof env>> & CommonEnv;

@Module({})
class IntegrationServiceModule {
  static forRoot(infra: Infrastructure<IntegrationServiceConfig>): DynamicModule {
    const writeSide = new WriteSide(infra.dataSource, infra.bus, infra.logger, {
      masterKey: infra.config.CREDENTIALS_MASTER_KEY,
      pollIntervalMs: infra.config.EVENT_PUBLISH_POLL_MS,
    });
    return {
      module: IntegrationServiceModule,
      imports: [
        WriteSideModule.forRoot(writeSide),
        GithubInstallationsModule,
        IntegrationCommandsModule,
        RuleCommandsModule,
        ProviderHealthModule,
        ProvidersModule,
      ],
    };
  }
}

/** The write side for integrations and rules: owns schema `integration` and the event log. */
export const integrationService: ServiceSpec<typeof env> = {
  name: 'integration-service',
  schema: 'integration',
  migrations: [
    WriteSide1764100000000,
    IntegrationSnapshots1764100001000,
    GithubInstallationHolds1764100002000,
  ],
  streams: [Streams.integrationEvents],
  healthSubject: IntegrationSubjects.health,
  env,
  rootModule: (infra) => IntegrationServiceModule.forRoot(infra),
};
