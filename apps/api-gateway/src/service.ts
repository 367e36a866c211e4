import { Module } from '@nestjs/common';
import { GatewaySubjects, Streams } from '#libs/contracts/src/index.js';
import { port } from '#libs/config/src/index.js';
import type { ServiceSpec } from '#libs/service-kit/src/index.js';
import { downstreamReadinessChecks } from './health/downstream-checks.js';

const env = { PORT: port(3000) };

@Module({})
class ApiGatewayModule {}

/** The only HTTP surface: auth, validation, versioning; owns schema `gateway` and the read models. */
export const apiGateway: ServiceSpec<typeof env> = {
  name: 'api-gateway',
  schema: 'gateway',
  migrations: [],
  streams: [Streams.integrationEvents, Streams.scannerEvents, Streams.githubWebhooks],
  healthSubject: GatewaySubjects.health,
  env,
  rootModule: () => ApiGatewayModule,
  extraReadinessChecks: ({ bus }) => downstreamReadinessChecks(bus),
};
