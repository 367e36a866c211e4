import { Module } from '@nestjs/common';
import type { FastifyInstance } from 'fastify';
import { GatewaySubjects, Streams } from '#libs/contracts/src/index.js';
import type { ServiceSpec } from '#libs/service-kit/src/index.js';
import { downstreamReadinessChecks } from './health/downstream-checks.js';
import { ErrorsModule } from './errors/index.js';
import { configureHttp } from './http/configure-http.js';
import { addSecurityHeaders } from './http/security-headers.js';
import { limitRequests, RateLimits } from './limits/index.js';
import { setupOpenApi } from './openapi/openapi.js';
import { gatewayMigrations } from './migrations/index.js';
import { WorkspaceModule } from './workspace/workspace.module.js';
import {
  DropStoredCursorSecret1764000019500,
  RestModule,
  Rest1764000002000,
} from './rest/index.js';
import { GatewayIntegrationsModule, serveIntegrationListFast } from './integrations/index.js';
import { GatewayRulesModule } from './rules/rules.module.js';
import {
  GithubInstallations1764000006000,
  GithubWebhookBodies1764000013700,
  WebhooksModule,
} from './webhooks/index.js';
import {
  GatewayScansModule,
  GithubFindingLifecycle1764000019000,
  GithubScans1764000009000,
} from './scans/index.js';
import { GithubInstallModule } from './github-install/index.js';
import { AuditLog1764000018000, AuditModule } from './audit/index.js';
import { apiGatewayEnv } from './config.js';

/** Feature modules: add yours here, one line each. */
@Module({
  imports: [
    ErrorsModule,
    WorkspaceModule,
    GatewayIntegrationsModule,
    GatewayRulesModule,
    // one line per feature module below
    GatewayScansModule,
    WebhooksModule,
    RestModule,
    GithubInstallModule,
    AuditModule,
  ],
})
class ApiGatewayModule {}

/** The only HTTP surface: auth, validation, versioning; owns schema `gateway` and the read models. */
export const apiGateway: ServiceSpec<typeof apiGatewayEnv> = {
  name: 'api-gateway',
  schema: 'gateway',
  // Gateway migrations in timestamp order; add yours to the array (the admin CLI runs these too).
  migrations: [
    ...gatewayMigrations,
    Rest1764000002000,
    GithubInstallations1764000006000,
    GithubScans1764000009000,
    GithubWebhookBodies1764000013700,
    AuditLog1764000018000,
    GithubFindingLifecycle1764000019000,
    DropStoredCursorSecret1764000019500,
  ],
  streams: [
    Streams.integrationEvents,
    Streams.scannerEvents,
    Streams.githubWebhooks,
    Streams.workspaceEvents,
  ],
  healthSubject: GatewaySubjects.health,
  env: apiGatewayEnv,
  rootModule: () => ApiGatewayModule,
  extraReadinessChecks: ({ bus }) => downstreamReadinessChecks(bus),
  configureApp: async (app) => {
    configureHttp(app);
    const fastify = app.getHttpAdapter().getInstance() as unknown as FastifyInstance;
    // Hook order matters: headers on every answer, then the address limit before any route.
    addSecurityHeaders(fastify);
    limitRequests(fastify, app.get(RateLimits));
    setupOpenApi(app);
    serveIntegrationListFast(app);
  },
};
