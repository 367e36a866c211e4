import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import { reposScanned, scanDuration } from '#libs/observability/src/metrics/scanner.js';
import {
  ScannerEventTypes,
  type ScanCheckKey,
  type ScanCompletedData,
  type ScanFailedData,
  type ScanStartedData,
  type SkippedCheck,
} from '#libs/contracts/src/index.js';
import { DATA_SOURCE, LOGGER, SERVICE_CONFIG } from '#libs/service-kit/src/index.js';
import { DRIFT_BASELINE, type Baseline } from '../drift/baseline.js';
import { evaluateOrg } from '../drift/evaluate.js';
import { FindingOutbox } from '../findings/finding-outbox.js';
import { FindingStore } from '../findings/finding-store.js';
import { ConditionalCache } from '../github/conditional-cache.js';
import { GithubApp, GithubNotConfiguredError } from '../github/github-app.js';
import { GithubReader, type ListedRepo } from '../github/github-reader.js';
import { InventoryStore } from '../inventory/inventory.store.js';
import { readOrgContext, type OrgContext } from './org-context.js';
import { ProgressReporter } from './progress-reporter.js';
import { fetchRepository, type RepoReads } from './read-repository.js';
import { grantedPermissions, runnableChecks, skippedChecks } from './required-permissions.js';
import { RepoQueue } from './repo-queue.js';
import { ResultWriter } from './result-writer.js';
import type { ScanConfig } from './scan.config.js';
import { ScanStore, type ScanRow } from './scan.store.js';
import { ScannerEvents } from './scanner-events.js';

/** Organization findings are stored under GitHub id 0 (no repository has it). */
export const ORGANIZATION = 0;

/** The scan could not go on for a reason no retry fixes (credentials, configuration). */
export class PermanentScanError extends Error {}

export type RunOutcome = 'finished' | 'interrupted';

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal.aborted) return resolve();
    const onAbort = () => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });

/**
 * Runs (or resumes) one scan from its checkpoint: list repositories through GraphQL, 100 at a
 * time, each page committed with the cursor; read the org-wide facts (teams, outside
 * collaborators, secret scanning) with conditional requests; then read each pending repository's
 * collaborators, store its record and findings and mark it done in one transaction.
 */
@Injectable()
export class ScanRunner {
  /** Repositories read at once. */
  private readonly concurrency: number;
  /** Attempts per repository (each already retried by Octokit) before it counts as failed. */
  private readonly repoAttempts: number;

  constructor(
    @Inject(SERVICE_CONFIG) config: ScanConfig,
    @Inject(DRIFT_BASELINE) private readonly baseline: Baseline,
    @Inject(DATA_SOURCE) private readonly dataSource: DataSource,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(ScanStore) private readonly scans: ScanStore,
    @Inject(InventoryStore) private readonly inventory: InventoryStore,
    @Inject(ScannerEvents) private readonly events: ScannerEvents,
    @Inject(GithubApp) private readonly github: GithubApp,
    @Inject(FindingStore) private readonly findings: FindingStore,
    @Inject(FindingOutbox) private readonly outbox: FindingOutbox,
  ) {
    this.concurrency = config.GITHUB_CONCURRENCY;
    this.repoAttempts = config.SCAN_REPO_ATTEMPTS;
  }

  async run(scanId: string, signal: AbortSignal): Promise<RunOutcome> {
    const { scans, logger } = this;
    const scan = await scans.get(scanId);
    if (!scan || scan.status === 'completed' || scan.status === 'failed') return 'finished';
    const log = logger.child({ scanId, workspaceId: scan.workspaceId });
    const reporter = new ProgressReporter(
      scan,
      {
        reposScanned: scan.reposScanned,
        reposFailed: scan.reposFailed,
        reposTotal: scan.reposTotal,
      },
      scans,
      this.inventory,
      this.events,
      log,
    );
    let octokit;
    try {
      octokit = this.github.forInstallation(scan.installationId, {
        onRateLimited: (resetAt) => reporter.rateLimited(resetAt),
      });
    } catch (error) {
      if (error instanceof GithubNotConfiguredError) throw new PermanentScanError(error.message);
      throw error;
    }
    if (scan.status === 'queued') {
      await scans.setStatus(scanId, 'scanning', null);
      const started: ScanStartedData = {
        scanId,
        startedAt: scan.startedAt.toISOString(),
        reposTotal: scan.reposTotal,
      };
      await this.events.publish(ScannerEventTypes.scanStarted, scan.workspaceId, started, {
        messageId: `${scanId}:started`,
        correlationId: scan.correlationId,
      });
    }
    log.info({ resumedAt: scan.reposScanned }, 'scan running');
    reporter.start();
    try {
      const cache = await ConditionalCache.load(this.dataSource, scan.workspaceId);
      const reader = new GithubReader(octokit, cache);
      await reporter.publishResults(await scans.unpublished(scanId));
      await this.outbox.publishPending(scan.workspaceId);
      // Checks the installation may not feed are skipped (never passed): asked once per run,
      // while listing starts (only writing results needs them).
      const checks = grantedPermissions(this.github, scan.installationId).then((granted) => ({
        runnable: runnableChecks(granted, this.baseline),
        skipped: skippedChecks(granted, this.baseline),
      }));
      const runnable = checks.then((c) => c.runnable);
      // Nothing may await them if something else fails first; allSettled below reports it.
      for (const settles of [checks, runnable]) settles.catch(() => undefined);
      // Listing, org-wide facts and reading run together: reading starts with the first page.
      const [inventory, pending] = await Promise.all([
        this.inventory.all(scan.workspaceId),
        scans.pending(scanId),
      ]);
      const known = new Map<number, ListedRepo>(inventory);
      const queue = new RepoQueue<{ githubId: number; fullName: string }>();
      queue.push(pending);
      const context = readOrgContext(reader, scan.accountLogin, log);
      const listing = this.list(scan, reader, reporter, signal, (repos) => {
        for (const repo of repos) known.set(repo.githubId, repo);
        queue.push(repos);
      }).finally(() => queue.finish());
      const reading = this.readRepositories(
        scan,
        reader,
        cache,
        reporter,
        context,
        runnable,
        queue,
        known,
        signal,
      );
      // Wait for all of them even when one fails, so nothing of this run outlives it.
      const settled = await Promise.allSettled([listing, reading, context, checks]);
      const failure = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failure) throw failure.reason;
      if (signal.aborted) return 'interrupted';
      await reporter.stop();
      const { skipped } = await checks;
      await this.complete(scan, await context, await runnable, skipped);
      return 'finished';
    } catch (error) {
      if (isAuthFailure(error)) {
        throw new PermanentScanError(
          `GitHub refused the app's credentials (${(error as Error).message})`,
        );
      }
      throw error;
    } finally {
      await reporter.stop();
    }
  }

  private async list(
    scan: ScanRow,
    reader: GithubReader,
    reporter: ProgressReporter,
    signal: AbortSignal,
    onPage: (repos: ListedRepo[]) => void,
  ): Promise<void> {
    const { scans, inventory, dataSource } = this;
    const ask = (cursor: string | null) => {
      const asked = reader.repositoriesPage(scan.accountLogin, cursor);
      // Not awaited when the scan is interrupted meanwhile; its failure then matters to no one.
      asked.catch(() => undefined);
      return asked;
    };
    // The next page is asked for as soon as its cursor is known, while this one is stored: the
    // pages still commit in order, each with its cursor, and reach the readers only once stored.
    let next = scan.listingDone ? undefined : ask(scan.listingCursor);
    while (next && !signal.aborted) {
      const page = await next;
      next = page.hasNextPage ? ask(page.endCursor) : undefined;
      await dataSource.transaction(async (tx) => {
        await inventory.upsertListed(scan.workspaceId, page.repos, scan.id, tx);
        await scans.recordListingPage(tx, scan.id, page.repos, page);
      });
      // recordListingPage set the scan's total to the page's count.
      reporter.counters = { ...reporter.counters, reposTotal: page.totalCount };
      onPage(page.repos);
    }
    if (!signal.aborted) {
      await scans.settleTotal(scan.id);
      const settled = (await scans.get(scan.id))!;
      reporter.counters = { ...reporter.counters, reposTotal: settled.reposTotal };
    }
  }

  private async readRepositories(
    scan: ScanRow,
    reader: GithubReader,
    cache: ConditionalCache,
    reporter: ProgressReporter,
    contextReady: Promise<OrgContext>,
    runnable: Promise<ReadonlySet<ScanCheckKey>>,
    queue: RepoQueue<{ githubId: number; fullName: string }>,
    known: Map<number, ListedRepo>,
    signal: AbortSignal,
  ): Promise<void> {
    const { scans, inventory, dataSource, baseline, findings, outbox } = this;
    const writer = new ResultWriter(scan, {
      dataSource,
      context: contextReady,
      inventory,
      scans,
      cache,
      baseline,
      runnable,
      findings,
      outbox,
      reporter,
    });
    // A failure to read the organization fails the run, not each repository, and stops reading.
    let contextFailure: { error: unknown } | undefined;
    // So does a failure to learn which checks may run: nothing read could be written.
    for (const needed of [contextReady, runnable]) {
      needed.catch((error: unknown) => void (contextFailure ??= { error }));
    }
    const stopIfContextFailed = () => {
      if (contextFailure) throw contextFailure.error;
    };
    const workers = Array.from({ length: this.concurrency }, async () => {
      for (;;) {
        if (signal.aborted) return;
        stopIfContextFailed();
        const wait = reporter.pausedUntil - Date.now();
        if (wait > 0) await sleep(wait, signal);
        const next = await queue.next();
        if (!next) return;
        const listed = known.get(next.githubId);
        if (!listed) continue;
        let reads: RepoReads | undefined;
        let lastError: unknown;
        for (let attempt = 1; attempt <= this.repoAttempts && !reads; attempt++) {
          try {
            // Reading does not wait for the organization's facts: the writer combines them.
            reads = await fetchRepository(reader, listed);
          } catch (error) {
            if (isAuthFailure(error)) throw error;
            stopIfContextFailed();
            lastError = error;
          }
        }
        // Interrupted mid-read: leave it pending for whoever resumes.
        if (signal.aborted && !reads) return;
        reposScanned.inc({ result: reads ? 'scanned' : 'failed' });
        await writer.add(
          reads
            ? { githubId: listed.githubId, reads }
            : {
                githubId: listed.githubId,
                error: lastError instanceof Error ? lastError.message : String(lastError),
              },
        );
      }
    });
    try {
      await Promise.all(workers);
    } finally {
      await writer.close();
    }
  }

  /**
   * Judges the organization, resolves the findings of repositories gone from the installation,
   * publishes every finding change, then says the scan completed.
   */
  private async complete(
    scan: ScanRow,
    context: OrgContext,
    runnable: ReadonlySet<ScanCheckKey>,
    skippedChecks: SkippedCheck[],
  ): Promise<void> {
    const { scans, inventory, events, dataSource, findings, outbox, baseline } = this;
    const failedRepos = await scans.failedRepos(scan.id);
    const cause = { cause: 'scan' as const, scanId: scan.id };
    const completed = await dataSource.transaction(async (tx) => {
      const done = await scans.complete(scan.id, tx);
      if (!done) return undefined;
      const org = evaluateOrg(context.facts, baseline, runnable);
      await findings.record(tx, scan.workspaceId, [{ githubId: ORGANIZATION, ...org }], cause);
      return done;
    });
    if (!completed) return;
    const gone = await inventory.removeUnseen(scan.workspaceId, scan.id);
    await findings.resolveAll(
      dataSource,
      scan.workspaceId,
      gone.map((g) => g.githubId),
      cause,
    );
    await outbox.publishPending(scan.workspaceId);
    for (const repo of gone) {
      await events.publish(ScannerEventTypes.repoRemoved, scan.workspaceId, repo, {
        correlationId: scan.correlationId,
      });
    }
    const open: Array<{ count: string }> = await dataSource.query(
      `SELECT count(*) FROM scanner.findings WHERE workspace_id = $1 AND state = 'open'`,
      [scan.workspaceId],
    );
    const data: ScanCompletedData = {
      scanId: scan.id,
      startedAt: completed.startedAt.toISOString(),
      completedAt: completed.finishedAt!.toISOString(),
      reposScanned: completed.reposScanned,
      reposTotal: completed.reposTotal,
      reposFailed: completed.reposFailed,
      failedRepos,
      findings: Number(open[0]?.count ?? 0),
      skippedChecks,
    };
    scanDuration.observe(
      { outcome: 'completed' },
      (completed.finishedAt!.getTime() - completed.startedAt.getTime()) / 1000,
    );
    await events.publish(ScannerEventTypes.scanCompleted, scan.workspaceId, data, {
      messageId: `${scan.id}:completed`,
      correlationId: scan.correlationId,
    });
    this.logger.info({ ...data, failedRepos: undefined }, 'scan completed');
  }

  /** Ends a scan that cannot go on, and says why on the bus. */
  async fail(scanId: string, reason: string): Promise<void> {
    const failed = await this.scans.fail(scanId, reason);
    if (!failed) return;
    scanDuration.observe(
      { outcome: 'failed' },
      (failed.finishedAt!.getTime() - failed.startedAt.getTime()) / 1000,
    );
    const data: ScanFailedData = {
      scanId,
      startedAt: failed.startedAt.toISOString(),
      failedAt: failed.finishedAt!.toISOString(),
      reason,
      reposScanned: failed.reposScanned,
      reposTotal: failed.reposTotal,
    };
    await this.events.publish(ScannerEventTypes.scanFailed, failed.workspaceId, data, {
      messageId: `${scanId}:failed`,
      correlationId: failed.correlationId,
    });
  }
}

function isAuthFailure(error: unknown): boolean {
  return (error as { status?: number }).status === 401;
}
