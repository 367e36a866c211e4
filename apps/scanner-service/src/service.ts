import { Module } from '@nestjs/common';
import { ScannerSubjects, Streams } from '#libs/contracts/src/index.js';
import type { ServiceSpec } from '#libs/service-kit/src/index.js';
import { scannerMigrations } from './migrations/index.js';
import { scannerServiceEnv } from './config.js';
import { ScannerScansModule } from './scans/scans.module.js';
import { InventoryService } from './inventory/inventory.service.js';
import { WebhookProcessing1764100006000, WebhookProcessingModule } from './webhooks/index.js';

/** Feature modules: one line each. */
@Module({
  imports: [
    ScannerScansModule,
    // one line per feature module below
    WebhookProcessingModule.forRoot({ imports: [ScannerScansModule], inventory: InventoryService }),
  ],
})
class ScannerServiceModule {}

/** Scans GitHub organizations; owns schema `scanner`. */
export const scannerService: ServiceSpec<typeof scannerServiceEnv> = {
  name: 'scanner-service',
  schema: 'scanner',
  // Scanner migrations in timestamp order; add yours to the array.
  migrations: [...scannerMigrations, WebhookProcessing1764100006000],
  streams: [
    Streams.scannerJobs,
    Streams.scannerEvents,
    Streams.integrationEvents,
    Streams.githubWebhooks,
    Streams.deadLetters,
  ],
  healthSubject: ScannerSubjects.health,
  env: scannerServiceEnv,
  rootModule: () => ScannerServiceModule,
};
