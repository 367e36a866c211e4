import {
  Inject,
  Module,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import type { ScanJob } from '#libs/contracts/src/index.js';
import type { Bus } from '#libs/messaging/src/index.js';
import { BUS, DATA_SOURCE, LOGGER, SERVICE_CONFIG } from '#libs/service-kit/src/index.js';
import { parseBaseline } from '../drift/baseline.js';
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
      provide: GithubApp,
      inject: [SERVICE_CONFIG, LOGGER],
      useFactory: (config: ScanConfig, logger: Logger) => new GithubApp(config, logger),
    },
    {
      provide: ScanStore,
      inject: [DATA_SOURCE],
      useFactory: (ds: DataSource) => new ScanStore(ds),
    },
    {
      provide: InventoryStore,
      inject: [DATA_SOURCE],
      useFactory: (ds: DataSource) => new InventoryStore(ds),
    },
    {
      provide: InstallationStore,
      inject: [DATA_SOURCE],
      useFactory: (ds: DataSource) => new InstallationStore(ds),
    },
    { provide: ScannerEvents, inject: [BUS], useFactory: (bus: Bus) => new ScannerEvents(bus) },
    { provide: FindingStore, useFactory: () => new FindingStore() },
    {
      provide: FindingOutbox,
      inject: [DATA_SOURCE, ScannerEvents],
      useFactory: (ds: DataSource, events: ScannerEvents) => new FindingOutbox(ds, events),
    },
    {
      provide: ScanRunner,
      inject: [
        SERVICE_CONFIG,
        DATA_SOURCE,
        LOGGER,
        ScanStore,
        InventoryStore,
        ScannerEvents,
        GithubApp,
        FindingStore,
        FindingOutbox,
      ],
      useFactory: (
        config: ScanConfig,
        dataSource: DataSource,
        logger: Logger,
        scans: ScanStore,
        inventory: InventoryStore,
        events: ScannerEvents,
        github: GithubApp,
        findings: FindingStore,
        outbox: FindingOutbox,
      ) =>
        new ScanRunner({
          dataSource,
          scans,
          inventory,
          events,
          github,
          findings,
          outbox,
          baseline: parseBaseline(config.SCAN_BASELINE),
          logger,
          concurrency: config.GITHUB_CONCURRENCY,
          repoAttempts: config.SCAN_REPO_ATTEMPTS,
        }),
    },
    {
      provide: InventoryService,
      inject: [
        SERVICE_CONFIG,
        DATA_SOURCE,
        BUS,
        LOGGER,
        GithubApp,
        InstallationStore,
        InventoryStore,
        ScanStore,
        ScannerEvents,
        FindingStore,
        FindingOutbox,
      ],
      useFactory: (
        config: ScanConfig,
        dataSource: DataSource,
        bus: Bus,
        logger: Logger,
        github: GithubApp,
        installations: InstallationStore,
        inventory: InventoryStore,
        scans: ScanStore,
        events: ScannerEvents,
        findings: FindingStore,
        outbox: FindingOutbox,
      ) =>
        new InventoryService({
          findings,
          outbox,
          dataSource,
          bus,
          github,
          installations,
          inventory,
          scans,
          events,
          baseline: parseBaseline(config.SCAN_BASELINE),
          logger,
        }),
    },
    ScanWorkers,
  ],
  exports: [InventoryService, InstallationStore, InventoryStore, GithubApp, ScannerEvents],
})
export class ScannerScansModule {}
