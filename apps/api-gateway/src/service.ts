import { Module } from '@nestjs/common';
import { GatewaySubjects, Streams } from '#libs/contracts/src/index.js';
import { port } from '#libs/config/src/index.js';
import type { ServiceSpec } from '#libs/service-kit/src/index.js';
import { downstreamReadinessChecks } from './health/downstream-checks.js';
import { AuthModule } from './auth/index.js';
import { BusModule } from './bus/index.js';
import { ErrorsModule } from './errors/index.js';
import { configureHttp } from './http/configure-http.js';
import { setupOpenApi } from './openapi/openapi.js';
import { gatewayMigrations } from './migrations/index.js';
import { WorkspaceModule } from './workspace/workspace.module.js';
import { restEnv, RestV2Module, RestV21764000002000 } from './rest-v2/index.js';
import { ProjectionsModule } from './projections/index.js';
import { IntegrationsModule, serveIntegrationListFast } from './integrations/index.js';
import { RulesModule } from './rules/rules.module.js';
import { GithubInstallations1764000006000, WebhooksModule, webhookEnv } from './webhooks/index.js';
import {
  GithubFindingLifecycle1764000011000,
  GithubScans1764000009000,
  ScansModule,
} from './scans/index.js';

const env = { PORT: port(3000), ...webhookEnv, ...restEnv };

/** Feature modules: add yours here, one line each. */
@Module({
  imports: [
    ErrorsModule,
    AuthModule,
    BusModule,
    WorkspaceModule,
    ProjectionsModule,
    IntegrationsModule,
    RulesModule,
    // one line per feature module below
    ScansModule,
    WebhooksModule,
    RestV2Module,
  ],
})
class ApiGatewayModule {}

/** The only HTTP surface: auth, validation, versioning; owns schema `gateway` and the read models. */
export const apiGateway: ServiceSpec<typeof env> = {
  name: 'api-gateway',
  schema: 'gateway',
  // Gateway migrations in timestamp order; add yours to the array (the admin CLI runs these too).
  migrations: [
    ...gatewayMigrations,
    RestV21764000002000,
    GithubInstallations1764000006000,
    GithubScans1764000009000,
    GithubFindingLifecycle1764000011000,
  ],
  streams: [Streams.integrationEvents, Streams.scannerEvents, Streams.githubWebhooks],
  healthSubject: GatewaySubjects.health,
  env,
  rootModule: () => ApiGatewayModule,
  extraReadinessChecks: ({ bus }) => downstreamReadinessChecks(bus),
  configureApp: (app) => {
    configureHttp(app);
    setupOpenApi(app);
    serveIntegrationListFast(app);
  },
};
