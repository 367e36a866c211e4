import {
  Inject,
  Module,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import type { Logger } from 'pino';
import type { ScanJob } from '#libs/contracts/src/index.js';
import { DurableConsumer, NotYet, type Bus } from '#libs/messaging/src/index.js';
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
import { SCAN_JOBS_CONSUMER, SCAN_JOBS_STREAM } from './scan-jobs.js';
import { PermanentScanError, ScanRunner } from './scan-runner.js';
import { ScanStore } from './scan.store.js';
import { ScannerEvents } from './scanner-events.js';
import { ScansHandlers } from './scans.handlers.js';
import type { JsMsg } from '@nats-io/jetstream';

/**
 * Runs the job queue and the integration-event projection for the life of the service. Jobs come
 * from SCANNER_JOBS through one durable consumer all replicas share, so each runs once. A running
 * job keeps its message alive; a replica that dies stops doing so and the job goes to another one
 * after the ack wait, which resumes it from its checkpoint. On shutdown, running jobs are
 * interrupted and handed back at once. A job that fails its last delivery (or was handed out more
 * often than that, e.g. because it kills the replica that runs it) is parked in DEAD_LETTERS.
 */
class ScanWorkers implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly jobs: DurableConsumer;

  constructor(
    @Inject(BUS) bus: Bus,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(SERVICE_CONFIG) private readonly config: ScanConfig,
    @Inject(ScanRunner) private readonly runner: ScanRunner,
    @Inject(InventoryService) private readonly inventory: InventoryService,
    @Inject(Projections) projections: Projections,
  ) {
    this.jobs = new DurableConsumer(
      bus,
      {
        stream: SCAN_JOBS_STREAM,
        durable: SCAN_JOBS_CONSUMER,
        concurrency: config.SCAN_MAX_JOBS,
        ackWaitMs: config.SCAN_JOB_ACK_WAIT_MS,
        // A replica takes a job only when it can start it.
        prefetch: 0,
        keepAlive: true,
        maxAckPending: 1_000,
        retryDelayMs: () => config.SCAN_JOB_RETRY_DELAY_MS,
        maxDeliver: config.SCAN_JOB_MAX_DELIVERIES,
      },
      async (msg, signal) => {
        await this.handle(msg.json<ScanJob>(), signal, msg);
        // A job that returns because it was interrupted has checkpointed: handed back at once.
        signal.throwIfAborted();
      },
      logger,
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
