import { Module } from '@nestjs/common';
import { IntegrationSubjects, Streams } from '#libs/contracts/src/index.js';
import { port } from '#libs/config/src/index.js';
import type { ServiceSpec } from '#libs/service-kit/src/index.js';

const env = { PORT: port(3001) };

@Module({})
class IntegrationServiceModule {}

/** The write side for integrations and rules: owns schema `integration` and the event log. */
export const integrationService: ServiceSpec<typeof env> = {
  name: 'integration-service',
  schema: 'integration',
  migrations: [],
  streams: [Streams.integrationEvents],
  healthSubject: IntegrationSubjects.health,
  env,
  rootModule: () => IntegrationServiceModule,
};
