import { Module } from '@nestjs/common';
import { ScannerSubjects, Streams } from '#libs/contracts/src/index.js';
import { port } from '#libs/config/src/index.js';
import type { ServiceSpec } from '#libs/service-kit/src/index.js';

const env = { PORT: port(3002) };

@Module({})
class ScannerServiceModule {}

/** Scans GitHub organizations; owns schema `scanner`. */
export const scannerService: ServiceSpec<typeof env> = {
  name: 'scanner-service',
  schema: 'scanner',
  migrations: [],
  streams: [
    Streams.scannerJobs,
    Streams.scannerEvents,
    Streams.githubWebhooks,
    Streams.githubWebhookDeadLetters,
  ],
  healthSubject: ScannerSubjects.health,
  env,
  rootModule: () => ScannerServiceModule,
};
