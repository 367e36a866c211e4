import {
  Inject,
  Module,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import type { Logger } from 'pino';
import type { ScanJob } from '#libs/contracts/src/index.js';
import type { Bus } from '#libs/messaging/src/index.js';
import { BUS, LOGGER, SERVICE_CONFIG } from '#libs/service-kit/src/index.js';
import { DRIFT_BASELINE, parseBaseline } from '../drift/baseline.js';
import { FindingOutbox } from '../findings/finding-outbox.js';
import { FindingStore } from '../findings/finding-store.js';
import { GithubApp } from '../github/github-app.js';
import { InstallationStore } from '../installations/installation.store.js';
import { installationsProjection } from '../installations/installations.projection.js';
import { Projections } from '#libs/projections/src/index.js';
import { InstallationNotConnected, InventoryService } from '../inventory/inventory.service.js';
import { InventoryStore } from '../inventory/inventory.store.js';
import type { ScanConfig } from './scan.config.js';
import { NotYet, ScanJobsConsumer } from './scan-jobs.consumer.js';
import { PermanentScanError, ScanRunner } from './scan-runner.js';
import { ScanStore } from './scan.store.js';
import { ScannerEvents } from './scanner-events.js';
import { ScansHandlers } from './scans.handlers.js';
import type { JsMsg } from '@nats-io/jetstream';

/** Runs the job queue and the integration-event projection for the life of the service. */
class ScanWorkers implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly jobs: ScanJobsConsumer;

  constructor(
    @Inject(BUS) bus: Bus,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(SERVICE_CONFIG) private readonly config: ScanConfig,
    @Inject(ScanRunner) private readonly runner: ScanRunner,
    @Inject(InventoryService) private readonly inventory: InventoryService,
    @Inject(Projections) projections: Projections,
  ) {
    this.jobs = new ScanJobsConsumer(
      bus,
      logger,
      {
        maxJobs: config.SCAN_MAX_JOBS,
        ackWaitMs: config.SCAN_JOB_ACK_WAIT_MS,
        retryDelayMs: config.SCAN_JOB_RETRY_DELAY_MS,
        maxDeliveries: config.SCAN_JOB_MAX_DELIVERIES,
      },
      (job, signal, msg) => this.handle(job, signal, msg),
    );
    projections.run(installationsProjection({ bus, logger }));
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.jobs.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.jobs.stop();
  }

  private async handle(job: ScanJob, signal: AbortSignal, msg: JsMsg): Promise<void> {
    const lastTry = msg.info.deliveryCount >= this.config.SCAN_JOB_MAX_DELIVERIES;
    switch (job.kind) {
      case 'scan': {
        if (!job.scanId) return;
        try {
          await this.runner.run(job.scanId, signal);
        } catch (error) {
          if (error instanceof PermanentScanError || lastTry) {
            await this.runner.fail(job.scanId, (error as Error).message);
            return;
          }
          throw error;
        }
        return;
      }
      case 'discover':
        try {
          await this.inventory.discover(job.workspaceId, signal, job.integrationId);
        } catch (error) {
          if (error instanceof InstallationNotConnected) {
            // Queued within the transaction that records the connect, so it may run before that
            // commits; on its last try, the connect is over: nothing to list.
            if (!lastTry) throw new NotYet(error.message);
            this.logger.info({ workspaceId: job.workspaceId }, 'discovery skipped: not connected');
            return;
          }
          if (lastTry) {
            this.logger.error({ err: error, workspaceId: job.workspaceId }, 'discovery gave up');
            return;
          }
          throw error;
        }
        return;
      case 'rescan-repo':
        if (job.repoFullName) await this.inventory.rescanRepo(job.workspaceId, job.repoFullName);
        return;
    }
  }
}

/**
 * Scans, the repository inventory and drift: request/reply handlers, the shared job queue, the
 * follower of integration events. The webhooks module imports it for `InventoryService` and
 * `GithubApp`.
 */
@Module({
  controllers: [ScansHandlers],
  providers: [
    {
      provide: DRIFT_BASELINE,
      inject: [SERVICE_CONFIG],
      useFactory: (config: ScanConfig) => parseBaseline(config.SCAN_BASELINE),
    },
    GithubApp,
    ScanStore,
    InventoryStore,
    InstallationStore,
    ScannerEvents,
    FindingStore,
    FindingOutbox,
    ScanRunner,
    InventoryService,
    ScanWorkers,
  ],
  exports: [InventoryService, InstallationStore, InventoryStore, GithubApp, ScannerEvents],
})
export class ScannerScansModule {}
