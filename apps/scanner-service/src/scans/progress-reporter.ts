import type { Logger } from 'pino';
import {
  ScannerEventTypes,
  type ReposUpdatedData,
  type ScanProgressData,
} from '#libs/contracts/src/index.js';
import type { InventoryStore } from '../inventory/inventory.store.js';
import type { ScanRow, ScanStore } from './scan.store.js';
import type { ScannerEvents } from './scanner-events.js';
import {
  PROGRESS_INTERVAL_MS,
  shouldEmitProgress,
  type ThrottleState,
} from './progress-throttle.js';

export interface Counters {
  reposScanned: number;
  reposFailed: number;
  reposTotal: number;
}

const BATCH_LIMIT = 100;

/**
 * Publishes a scan's results and progress: the repositories finished since the last report (one
 * `ReposUpdated` event, so the gateway's inventory and findings follow the scan) and then a
 * `ScanProgress`. Reports are serialized, so the gateway sees counts that only grow.
 */
export class ProgressReporter {
  private readonly throttle: ThrottleState = { lastEmitAt: 0, lastEmittedScanned: -1 };
  private finished: number[] = [];
  private chain: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private status: ScanProgressData['status'] = 'scanning';
  private resetAt: Date | null = null;

  constructor(
    private readonly scan: ScanRow,
    public counters: Counters,
    private readonly scans: ScanStore,
    private readonly inventory: InventoryStore,
    private readonly events: ScannerEvents,
    private readonly logger: Logger,
  ) {}

  start(): void {
    this.timer = setInterval(() => this.maybeReport(), PROGRESS_INTERVAL_MS);
    this.timer.unref();
  }

  /** Until when requests should wait for GitHub's budget, if it ran out. */
  get pausedUntil(): number {
    return this.status === 'rate_limited' && this.resetAt ? this.resetAt.getTime() : 0;
  }

  repoFinished(counters: Counters, githubId: number): void {
    this.reposFinished(counters, [githubId]);
  }

  reposFinished(counters: Counters, githubIds: number[]): void {
    if (counters.reposScanned >= this.counters.reposScanned) this.counters = counters;
    this.finished.push(...githubIds);
    if (this.status === 'rate_limited' && Date.now() >= (this.resetAt?.getTime() ?? 0)) {
      this.status = 'scanning';
      this.resetAt = null;
      this.enqueue(() => this.scans.setStatus(this.scan.id, 'scanning', null));
    }
    this.maybeReport();
  }

  /** GitHub's primary budget ran out: say so at once, with the time it refills. */
  rateLimited(resetAt: Date): void {
    if (this.status === 'rate_limited' && this.resetAt && this.resetAt >= resetAt) return;
    this.status = 'rate_limited';
    this.resetAt = resetAt;
    this.logger.warn({ scanId: this.scan.id, resetAt }, 'GitHub rate limit reached; scan paused');
    this.enqueue(() => this.scans.setStatus(this.scan.id, 'rate_limited', resetAt));
    this.report();
  }

  private maybeReport(): void {
    const due =
      shouldEmitProgress(
        this.throttle,
        Date.now(),
        this.counters.reposScanned,
        this.counters.reposTotal,
      ) || this.finished.length >= BATCH_LIMIT;
    if (due) this.report();
  }

  /** Publishes what is pending now; resolves when it is stored on the bus. */
  report(): Promise<void> {
    this.throttle.lastEmitAt = Date.now();
    this.throttle.lastEmittedScanned = this.counters.reposScanned;
    const ids = this.finished.splice(0);
    const counters = { ...this.counters };
    const status = this.status;
    const resetAt = this.resetAt;
    return this.enqueue(async () => {
      for (let i = 0; i < ids.length; i += BATCH_LIMIT) {
        await this.publishResults(ids.slice(i, i + BATCH_LIMIT));
      }
      const data: ScanProgressData = {
        scanId: this.scan.id,
        status,
        reposScanned: counters.reposScanned,
        reposTotal: counters.reposTotal,
        reposFailed: counters.reposFailed,
        startedAt: this.scan.startedAt.toISOString(),
        rateLimitResetAt: resetAt ? resetAt.toISOString() : null,
      };
      await this.events.publish(ScannerEventTypes.scanProgress, this.scan.workspaceId, data, {
        correlationId: this.scan.correlationId,
      });
    });
  }

  /** Results stored before a restart but never published go out first. */
  async publishResults(ids: number[]): Promise<void> {
    if (ids.length === 0) return;
    const repos = await this.inventory.withFindings(this.scan.workspaceId, ids);
    const data: ReposUpdatedData = { scanId: this.scan.id, repos };
    await this.events.publish(ScannerEventTypes.reposUpdated, this.scan.workspaceId, data, {
      correlationId: this.scan.correlationId,
    });
    await this.scans.markPublished(this.scan.id, ids);
  }

  /** Stops the timer and publishes what is left. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    if (this.finished.length > 0) await this.report();
    await this.chain;
  }

  private enqueue(work: () => Promise<void>): Promise<void> {
    const next = this.chain.then(work);
    this.chain = next.catch((error: unknown) =>
      this.logger.error({ err: error, scanId: this.scan.id }, 'could not publish scan progress'),
    );
    return next;
  }
}
