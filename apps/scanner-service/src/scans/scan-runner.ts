import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import { reposScanned, scanDuration } from '#libs/observability/src/metrics/scanner.js';
import {
  ScannerEventTypes,
  type RepoRecord,
  type ScanCompletedData,
  type ScanFailedData,
  type ScanStartedData,
  type TeamAccess,
} from '#libs/contracts/src/index.js';
import type { Baseline } from '../drift/baseline.js';
import { ConditionalCache } from '../github/conditional-cache.js';
import { GithubNotConfiguredError, type GithubApp } from '../github/github-app.js';
import { GithubReader, type ListedRepo } from '../github/github-reader.js';
import type { InventoryStore } from '../inventory/inventory.store.js';
import { ProgressReporter } from './progress-reporter.js';
import { RepoQueue } from './repo-queue.js';
import { ResultWriter } from './result-writer.js';
import type { ScanRow, ScanStore } from './scan.store.js';
import type { ScannerEvents } from './scanner-events.js';

export interface ScanRunnerDeps {
  dataSource: DataSource;
  scans: ScanStore;
  inventory: InventoryStore;
  events: ScannerEvents;
  github: GithubApp;
  baseline: Baseline;
  logger: Logger;
  /** Repositories read at once. */
  concurrency: number;
  /** Attempts per repository (each already retried by Octokit) before it counts as failed. */
  repoAttempts: number;
}

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
export class ScanRunner {
  constructor(private readonly deps: ScanRunnerDeps) {}

  async run(scanId: string, signal: AbortSignal): Promise<RunOutcome> {
    const { scans, logger } = this.deps;
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
      this.deps.inventory,
      this.deps.events,
      log,
    );
    let octokit;
    try {
      octokit = this.deps.github.forInstallation(scan.installationId, {
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
      await this.deps.events.publish(ScannerEventTypes.scanStarted, scan.workspaceId, started, {
        messageId: `${scanId}:started`,
        correlationId: scan.correlationId,
      });
    }
    log.info({ resumedAt: scan.reposScanned }, 'scan running');
    reporter.start();
    try {
      const cache = await ConditionalCache.load(this.deps.dataSource, scan.workspaceId);
      const reader = new GithubReader(octokit, cache);
      await reporter.publishResults(await scans.unpublished(scanId));
      // Listing, org-wide facts and reading run together: reading starts with the first page.
      const known = new Map<number, ListedRepo>(await this.deps.inventory.all(scan.workspaceId));
      const queue = new RepoQueue<{ githubId: number; fullName: string }>();
      queue.push(await scans.pending(scanId));
      const context = this.orgContext(scan, reader, log);
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
        queue,
        known,
        signal,
      );
      // Wait for all three even when one fails, so nothing of this run outlives it.
      const settled = await Promise.allSettled([listing, reading, context]);
      const failure = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failure) throw failure.reason;
      if (signal.aborted) return 'interrupted';
      await reporter.stop();
      await this.complete(scan);
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
    const { scans, inventory, dataSource } = this.deps;
    let current = scan;
    while (!current.listingDone && !signal.aborted) {
      const page = await reader.repositoriesPage(current.accountLogin, current.listingCursor);
      await dataSource.transaction(async (tx) => {
        await inventory.upsertListed(current.workspaceId, page.repos, current.id, tx);
        await scans.recordListingPage(tx, current.id, page.repos, page);
      });
      current = (await scans.get(current.id))!;
      reporter.counters = { ...reporter.counters, reposTotal: current.reposTotal };
      onPage(page.repos);
    }
    if (!signal.aborted) {
      await scans.settleTotal(scan.id);
      const settled = (await scans.get(scan.id))!;
      reporter.counters = { ...reporter.counters, reposTotal: settled.reposTotal };
    }
  }

  private async orgContext(scan: ScanRow, reader: GithubReader, log: Logger) {
    const optional = async <T>(what: string, read: () => Promise<T>, fallback: T): Promise<T> => {
      try {
        return await read();
      } catch (error) {
        if ((error as { status?: number }).status === 403) {
          log.warn({ what }, 'the installation may not read this; checks that need it are skipped');
          return fallback;
        }
        throw error;
      }
    };
    const login = scan.accountLogin;
    return {
      outside: await optional(
        'outside collaborators',
        () => reader.outsideCollaborators(login),
        null,
      ),
      teams: await optional(
        'team access',
        () => reader.teamAccess(login),
        new Map<string, TeamAccess[]>(),
      ),
      secretScanning: await optional(
        'secret scanning',
        () => reader.secretScanning(login),
        new Map<string, 'enabled' | 'disabled' | 'unknown'>(),
      ),
    };
  }

  private async readRepositories(
    scan: ScanRow,
    reader: GithubReader,
    cache: ConditionalCache,
    reporter: ProgressReporter,
    contextReady: ReturnType<ScanRunner['orgContext']>,
    queue: RepoQueue<{ githubId: number; fullName: string }>,
    known: Map<number, ListedRepo>,
    signal: AbortSignal,
  ): Promise<void> {
    const { scans, inventory, dataSource, baseline } = this.deps;
    const context = await contextReady;
    const writer = new ResultWriter(scan, {
      dataSource,
      inventory,
      scans,
      cache,
      baseline,
      reporter,
    });
    const workers = Array.from({ length: this.deps.concurrency }, async () => {
      for (;;) {
        if (signal.aborted) return;
        const wait = reporter.pausedUntil - Date.now();
        if (wait > 0) await sleep(wait, signal);
        const next = await queue.next();
        if (!next) return;
        const listed = known.get(next.githubId);
        if (!listed) continue;
        let record: RepoRecord | undefined;
        let lastError: unknown;
        for (let attempt = 1; attempt <= this.deps.repoAttempts && !record; attempt++) {
          try {
            const collaborators = await reader.collaborators(listed.fullName);
            record = {
              ...listed,
              secretScanning: context.secretScanning.get(listed.fullName) ?? 'unknown',
              collaborators: collaborators.map((c) => ({
                ...c,
                outside: context.outside?.has(c.login) ?? false,
              })),
              teams: context.teams.get(listed.fullName) ?? [],
              scanState: 'scanned',
            };
          } catch (error) {
            if (isAuthFailure(error)) throw error;
            lastError = error;
          }
        }
        // Interrupted mid-read: leave it pending for whoever resumes.
        if (signal.aborted && !record) return;
        reposScanned.inc({ result: record ? 'scanned' : 'failed' });
        await writer.add(
          record
            ? { githubId: listed.githubId, record }
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

  private async complete(scan: ScanRow): Promise<void> {
    const { scans, inventory, events } = this.deps;
    const failedRepos = await scans.failedRepos(scan.id);
    const completed = await scans.complete(scan.id);
    if (!completed) return;
    for (const gone of await inventory.removeUnseen(scan.workspaceId, scan.id)) {
      await events.publish(ScannerEventTypes.repoRemoved, scan.workspaceId, gone, {
        correlationId: scan.correlationId,
      });
    }
    const findings: Array<{ count: string }> = await this.deps.dataSource.query(
      `SELECT count(*) FROM scanner.findings WHERE workspace_id = $1`,
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
      findings: Number(findings[0]?.count ?? 0),
    };
    scanDuration.observe(
      { outcome: 'completed' },
      (completed.finishedAt!.getTime() - completed.startedAt.getTime()) / 1000,
    );
    await events.publish(ScannerEventTypes.scanCompleted, scan.workspaceId, data, {
      messageId: `${scan.id}:completed`,
      correlationId: scan.correlationId,
    });
    this.deps.logger.info({ ...data, failedRepos: undefined }, 'scan completed');
  }

  /** Ends a scan that cannot go on, and says why on the bus. */
  async fail(scanId: string, reason: string): Promise<void> {
    const failed = await this.deps.scans.fail(scanId, reason);
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
    await this.deps.events.publish(ScannerEventTypes.scanFailed, failed.workspaceId, data, {
      messageId: `${scanId}:failed`,
      correlationId: failed.correlationId,
    });
  }
}

function isAuthFailure(error: unknown): boolean {
  return (error as { status?: number }).status === 401;
}
