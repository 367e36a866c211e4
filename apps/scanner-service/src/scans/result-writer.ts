import type { DataSource } from 'typeorm';
import type { ScanCheckKey } from '#libs/contracts/src/index.js';
import type { Baseline } from '../drift/baseline.js';
import { evaluateDrift } from '../drift/evaluate.js';
import type { FindingOutbox } from '../findings/finding-outbox.js';
import type { FindingStore } from '../findings/finding-store.js';
import type { ConditionalCache } from '../github/conditional-cache.js';
import type { InventoryStore } from '../inventory/inventory.store.js';
import type { OrgContext } from './org-context.js';
import type { ProgressReporter } from './progress-reporter.js';
import { combineRepository, type RepoReads } from './read-repository.js';
import type { ScanRow, ScanStore } from './scan.store.js';

export interface RepoOutcome {
  githubId: number;
  /** The repository's own answers; absent when it kept failing. */
  reads?: RepoReads;
  error?: string;
}

const BATCH = 50;
const INTERVAL_MS = 100;

/**
 * Stores finished repositories in batches: their records and findings, their checkpoint rows
 * (pending -> done/failed, counted once) and the cached GitHub answers, all in one transaction
 * per batch. A scanner killed before a batch commits reads those repositories again on resume;
 * one killed after has them counted exactly once.
 *
 * Records are combined with the organization's facts here, when a batch is written: reading goes
 * on while those facts are still being read (their lists take several pages), and until they are
 * in, `add` keeps what it is given without waiting for a write that could not start.
 */
export class ResultWriter {
  private buffer: RepoOutcome[] = [];
  private chain: Promise<void> = Promise.resolve();
  private readonly timer: NodeJS.Timeout;
  private contextKnown = false;

  constructor(
    private readonly scan: ScanRow,
    private readonly deps: {
      dataSource: DataSource;
      inventory: InventoryStore;
      scans: ScanStore;
      cache: ConditionalCache;
      baseline: Baseline;
      /** The organization's facts each record is combined with. */
      context: Promise<OrgContext>;
      /** The checks the installation's permissions let run. */
      runnable: Promise<ReadonlySet<ScanCheckKey>>;
      findings: FindingStore;
      outbox: FindingOutbox;
      reporter: ProgressReporter;
    },
  ) {
    this.timer = setInterval(() => void this.flush().catch(() => undefined), INTERVAL_MS);
    this.timer.unref();
    deps.context.then(
      () => void (this.contextKnown = true),
      () => undefined,
    );
  }

  /**
   * Queues one outcome; once the organization's facts are in, waits when the writer is far
   * behind, so memory stays bounded.
   */
  async add(outcome: RepoOutcome): Promise<void> {
    this.buffer.push(outcome);
    if (!this.contextKnown) return;
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
    if (this.buffer.length === 0) return;
    // A failure to read the organization fails the run; the batch stays pending for a resume.
    const context = await this.deps.context;
    const runnable = await this.deps.runnable;
    const batch = this.buffer.splice(0);
    if (batch.length === 0) return;
    const { dataSource, inventory, scans, cache, baseline, findings, reporter } = this.deps;
    const workspaceId = this.scan.workspaceId;
    try {
      let cacheSaved = () => undefined as void;
      const result = await dataSource.transaction(async (tx) => {
        const scanned = batch.flatMap((o) =>
          o.reads ? [combineRepository(o.reads, context)] : [],
        );
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
          batch.filter((o) => !o.reads).map((o) => o.githubId),
          tx,
        );
        cacheSaved = await cache.flush(tx);
        return scans.finishRepos(
          tx,
          this.scan.id,
          batch.map((o) => ({
            githubId: o.githubId,
            outcome: o.reads ? 'done' : 'failed',
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
