import { Module } from '@nestjs/common';
import { IntegrationSubjects, Streams } from '#libs/contracts/src/index.js';
import type { ServiceSpec } from '#libs/service-kit/src/index.js';
import { integrationServiceEnv } from './config.js';
import { IntegrationCommandsModule } from './integrations/integrations.module.js';
import { RuleCommandsModule } from './rules/rules.module.js';
import { ProviderHealthModule } from './health/provider-health.module.js';
import { ProvidersModule } from './providers/providers.module.js';
import { GithubInstallationsModule } from './github-installations/github-installations.module.js';
import { GithubInstallationHolds1764100002000 } from './github-installations/github-installations.migration.js';
import { WriteSide1764100000000 } from './migrations/1764100000000-write-side.js';
import { IntegrationSnapshots1764100001000 } from './migrations/1764100001000-integration-snapshots.js';
import { RuleSnapshots1764100002500 } from './migrations/1764100002500-rule-snapshots.js';
import { DataKeyIds1764100004700 } from './migrations/1764100004700-data-key-ids.js';
import { IntegrationChanges1764100005000 } from './migrations/1764100005000-integration-changes.js';
import { MasterKeyring } from './credentials/master-keyring.js';

export type { IntegrationServiceConfig } from './config.js';

@Module({
  imports: [
    GithubInstallationsModule,
    IntegrationCommandsModule,
    RuleCommandsModule,
    ProviderHealthModule,
    ProvidersModule,
  ],
})
class IntegrationServiceModule {}

/** The write side for integrations and rules: owns schema `integration` and the event log. */
export const integrationService: ServiceSpec<typeof integrationServiceEnv> = {
  name: 'integration-service',
  schema: 'integration',
  migrations: [
    WriteSide1764100000000,
    IntegrationSnapshots1764100001000,
    GithubInstallationHolds1764100002000,
    RuleSnapshots1764100002500,
    DataKeyIds1764100004700,
    IntegrationChanges1764100005000,
  ],
  streams: [Streams.integrationEvents],
  healthSubject: IntegrationSubjects.health,
  env: integrationServiceEnv,
  checkConfig: (config) => void MasterKeyring.fromConfig(config),
  rootModule: () => IntegrationServiceModule,
};
