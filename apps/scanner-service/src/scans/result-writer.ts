import type { DataSource } from 'typeorm';
import type { RepoRecord, ScanCheckKey } from '#libs/contracts/src/index.js';
import type { Baseline } from '../drift/baseline.js';
import { evaluateDrift } from '../drift/evaluate.js';
import type { FindingOutbox } from '../findings/finding-outbox.js';
import type { FindingStore } from '../findings/finding-store.js';
import type { ConditionalCache } from '../github/conditional-cache.js';
import type { InventoryStore } from '../inventory/inventory.store.js';
import type { ProgressReporter } from './progress-reporter.js';
import type { ScanRow, ScanStore } from './scan.store.js';

export interface RepoOutcome {
  githubId: number;
  /** The repository as read; absent when it kept failing. */
  record?: RepoRecord;
  error?: string;
}

const BATCH = 50;
const INTERVAL_MS = 100;

/**
 * Stores finished repositories in batches: their records and findings, their checkpoint rows
 * (pending -> done/failed, counted once) and the cached GitHub answers, all in one transaction
 * per batch. A scanner killed before a batch commits reads those repositories again on resume;
 * one killed after has them counted exactly once.
 */
export class ResultWriter {
  private buffer: RepoOutcome[] = [];
  private chain: Promise<void> = Promise.resolve();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly scan: ScanRow,
    private readonly deps: {
      dataSource: DataSource;
      inventory: InventoryStore;
      scans: ScanStore;
      cache: ConditionalCache;
      baseline: Baseline;
      /** The checks the installation's permissions let run. */
      runnable: ReadonlySet<ScanCheckKey>;
      findings: FindingStore;
      outbox: FindingOutbox;
      reporter: ProgressReporter;
    },
  ) {
    this.timer = setInterval(() => void this.flush().catch(() => undefined), INTERVAL_MS);
    this.timer.unref();
  }

  /** Queues one outcome; waits when the writer is far behind, so memory stays bounded. */
  async add(outcome: RepoOutcome): Promise<void> {
    this.buffer.push(outcome);
    if (this.buffer.length >= BATCH * 4) await this.flush();
    else if (this.buffer.length >= BATCH) void this.flush().catch(() => undefined);
  }

  flush(): Promise<void> {
    const next = this.chain.then(() => this.write());
    this.chain = next.catch(() => undefined);
    return next;
  }

  /** Writes what is left; throws if the last write failed (the job is then retried). */
  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }

  private async write(): Promise<void> {
    const batch = this.buffer.splice(0);
    if (batch.length === 0) return;
    const { dataSource, inventory, scans, cache, baseline, runnable, findings, reporter } =
      this.deps;
    const workspaceId = this.scan.workspaceId;
    try {
      let cacheSaved = () => undefined as void;
      const result = await dataSource.transaction(async (tx) => {
        const scanned = batch.flatMap((o) => (o.record ? [o.record] : []));
        await inventory.saveScanned(workspaceId, scanned, tx);
        await findings.record(
          tx,
          workspaceId,
          scanned.map((record) => ({
            githubId: record.githubId,
            ...evaluateDrift(record, baseline, runnable),
          })),
          { cause: 'scan', scanId: this.scan.id },
        );
        await inventory.markFailedBatch(
          workspaceId,
          batch.filter((o) => !o.record).map((o) => o.githubId),
          tx,
        );
        cacheSaved = await cache.flush(tx);
        return scans.finishRepos(
          tx,
          this.scan.id,
          batch.map((o) => ({
            githubId: o.githubId,
            outcome: o.record ? 'done' : 'failed',
            ...(o.error === undefined ? {} : { error: o.error }),
          })),
        );
      });
      cacheSaved();
      reporter.reposFinished(result.counters, result.counted);
      // Published after commit; what fails here goes out with the next batch or at completion.
      void this.deps.outbox.publishPending(workspaceId).catch(() => undefined);
    } catch (error) {
      // Put the batch back: a later flush (or a resume after restart) stores it.
      this.buffer.unshift(...batch);
      throw error;
    }
  }
}
