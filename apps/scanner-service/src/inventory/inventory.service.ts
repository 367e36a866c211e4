/**
 * The repository inventory's API for the rest of the scanner, notably the webhooks processor
 * (apps/scanner-service/src/webhooks/). Inject `InventoryService` (exported by
 * `ScannerScansModule`, which a feature module imports) and call:
 *
 * - `upsertRepo(workspaceId, repo)`: a repository created, edited, publicized/privatized,
 *   archived/unarchived or transferred in: stores the basic facts, publishes `ReposUpdated`, and
 *   (by default) rescans it on its own, so its findings follow.
 * - `removeRepo(workspaceId, githubId)`: deleted or transferred away; publishes `RepoRemoved`.
 * - `renameRepo(workspaceId, githubId, newFullName)`: publishes `ReposUpdated`.
 * - `rescanRepo(workspaceId, fullName)`: reads one repository from GitHub afresh (a few calls:
 *   GraphQL for it and its protection, REST for collaborators, teams and secret scanning, with
 *   its cached answers dropped first), recomputes its findings and publishes them.
 * - `recomputePermissions(workspaceId)`: a team, member or organization change can touch many
 *   repositories: starts (or joins) a full scan, which reads only what changed thanks to ETags.
 *
 * Every method is idempotent; the gateway's `github/repos` and findings follow the events.
 */
import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import {
  ScannerEventTypes,
  type RepoRecord,
  type ReposUpdatedData,
  type ScanOrgResult,
} from '#libs/contracts/src/index.js';
import type { Bus } from '#libs/messaging/src/index.js';
import { BUS, DATA_SOURCE, LOGGER } from '#libs/service-kit/src/index.js';
import { DRIFT_BASELINE, type Baseline } from '../drift/baseline.js';
import { evaluateDrift } from '../drift/evaluate.js';
import { FindingOutbox } from '../findings/finding-outbox.js';
import { FindingStore } from '../findings/finding-store.js';
import { ConditionalCache } from '../github/conditional-cache.js';
import { GithubApp } from '../github/github-app.js';
import { GithubReader, type ListedRepo } from '../github/github-reader.js';
import { InstallationStore } from '../installations/installation.store.js';
import { readRepoContext } from '../scans/org-context.js';
import { readRepository } from '../scans/read-repository.js';
import { grantedPermissions, runnableChecks } from '../scans/required-permissions.js';
import { ScannerEvents } from '../scans/scanner-events.js';
import { enqueueScanJob } from '../scans/scan-jobs.js';
import { ScanStore } from '../scans/scan.store.js';
import { InventoryStore } from './inventory.store.js';

@Injectable()
export class InventoryService {
  constructor(
    @Inject(DRIFT_BASELINE) private readonly baseline: Baseline,
    @Inject(DATA_SOURCE) private readonly dataSource: DataSource,
    @Inject(BUS) private readonly bus: Bus,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(GithubApp) private readonly github: GithubApp,
    @Inject(InstallationStore) private readonly installations: InstallationStore,
    @Inject(InventoryStore) private readonly inventory: InventoryStore,
    @Inject(ScanStore) private readonly scans: ScanStore,
    @Inject(ScannerEvents) private readonly events: ScannerEvents,
    @Inject(FindingStore) private readonly findings: FindingStore,
    @Inject(FindingOutbox) private readonly outbox: FindingOutbox,
  ) {}

  async upsertRepo(
    workspaceId: string,
    repo: ListedRepo,
    options: { rescan?: boolean } = {},
  ): Promise<void> {
    await this.inventory.upsertListed(workspaceId, [repo], null);
    await this.publishRepos(workspaceId, [repo.githubId]);
    if (options.rescan ?? true) await this.rescanRepo(workspaceId, repo.fullName);
  }

  async removeRepo(workspaceId: string, githubId: number): Promise<boolean> {
    const existing = await this.inventory.get(workspaceId, githubId);
    const removed = await this.dataSource.transaction(async (tx) => {
      await this.findings.resolveAll(tx, workspaceId, [githubId], { cause: 'webhook' });
      return this.inventory.remove(workspaceId, githubId, tx);
    });
    await this.outbox.publishPending(workspaceId);
    if (existing) {
      await this.events.publish(ScannerEventTypes.repoRemoved, workspaceId, {
        githubId,
        fullName: existing.fullName,
      });
    }
    return removed;
  }

  async renameRepo(workspaceId: string, githubId: number, fullName: string): Promise<boolean> {
    const renamed = await this.inventory.rename(workspaceId, githubId, fullName);
    if (renamed) await this.publishRepos(workspaceId, [githubId]);
    return renamed;
  }

  /** Reads one repository afresh and publishes it with its findings; undefined if it is gone. */
  async rescanRepo(workspaceId: string, fullName: string): Promise<RepoRecord | undefined> {
    const installation = await this.installations.get(workspaceId);
    if (!installation?.connected) return undefined;
    const octokit = this.github.forInstallation(installation.installationId);
    const cache = await ConditionalCache.load(this.dataSource, workspaceId);
    const reader = new GithubReader(octokit, cache);
    const listed = await reader.repository(fullName);
    if (!listed) {
      const known = await this.inventory.findByName(workspaceId, fullName);
      if (known) await this.removeRepo(workspaceId, known.githubId);
      return undefined;
    }
    // This repository changed: its cached answers are stale whatever their ETag says.
    await this.dataSource.query(
      `DELETE FROM scanner.http_cache WHERE workspace_id = $1 AND url LIKE $2`,
      [workspaceId, `/repos/${listed.fullName}%`],
    );
    const fresh = new GithubReader(
      octokit,
      await ConditionalCache.load(this.dataSource, workspaceId),
    );
    const [context, granted] = await Promise.all([
      readRepoContext(fresh, installation.accountLogin, listed.fullName),
      grantedPermissions(this.github, installation.installationId),
    ]);
    const record = await readRepository(fresh, listed, context);
    const runnable = runnableChecks(granted, this.baseline);
    let cacheSaved = () => undefined as void;
    await this.dataSource.transaction(async (tx) => {
      cacheSaved = await fresh.flushCache(tx);
      await this.inventory.upsertListed(workspaceId, [listed], null, tx);
      await this.inventory.saveScanned(workspaceId, [record], tx);
      await this.findings.record(
        tx,
        workspaceId,
        [{ githubId: record.githubId, ...evaluateDrift(record, this.baseline, runnable) }],
        { cause: 'webhook' },
      );
    });
    cacheSaved();
    await this.outbox.publishPending(workspaceId);
    await this.publishRepos(workspaceId, [record.githubId]);
    return record;
  }

  async recomputePermissions(workspaceId: string): Promise<ScanOrgResult | undefined> {
    const installation = await this.installations.get(workspaceId);
    if (!installation?.connected) return undefined;
    const { scan, created } = await this.scans.createOrJoin({
      workspaceId,
      installationId: installation.installationId,
      accountLogin: installation.accountLogin,
      correlationId: `recompute-${Date.now()}`,
    });
    if (created) {
      await enqueueScanJob(
        this.bus,
        { kind: 'scan', workspaceId, scanId: scan.id },
        `scan:${scan.id}`,
      );
    }
    return {
      scanId: scan.id,
      status: scan.status,
      startedAt: scan.startedAt.toISOString(),
      alreadyRunning: !created,
    };
  }

  /**
   * Discovery after a connect: lists the workspace's repositories into the inventory (GraphQL,
   * 100 per call) and publishes them, so `github/repos` shows them within seconds, before any
   * scan. The job is queued inside the transaction that records the installation, so it can
   * arrive before that commit: with nothing recorded yet it throws `InstallationNotConnected`,
   * and the job is tried again. An integration disconnected since its connect has nothing to
   * list: 0, at once (connects and disconnects in quick turns would otherwise retry each job).
   */
  async discover(
    workspaceId: string,
    signal?: AbortSignal,
    integrationId?: string,
  ): Promise<number> {
    if (integrationId) {
      const connected = await this.installations.isConnected(integrationId);
      if (connected === undefined) throw new InstallationNotConnected(workspaceId);
      if (!connected) return 0;
    }
    const installation = await this.installations.get(workspaceId);
    if (!installation?.connected) throw new InstallationNotConnected(workspaceId);
    const octokit = this.github.forInstallation(installation.installationId);
    const reader = new GithubReader(
      octokit,
      await ConditionalCache.load(this.dataSource, workspaceId),
    );
    let cursor: string | null = null;
    let count = 0;
    for (;;) {
      if (signal?.aborted) break;
      const page = await reader.repositoriesPage(installation.accountLogin, cursor);
      await this.inventory.upsertListed(workspaceId, page.repos, null);
      await this.publishRepos(
        workspaceId,
        page.repos.map((r) => r.githubId),
      );
      count += page.repos.length;
      if (!page.hasNextPage) break;
      cursor = page.endCursor;
    }
    this.logger.info({ workspaceId, repos: count }, 'repositories discovered');
    return count;
  }

  private async publishRepos(workspaceId: string, githubIds: number[]): Promise<void> {
    const repos = await this.inventory.withFindings(workspaceId, githubIds);
    if (repos.length === 0) return;
    const data: ReposUpdatedData = { repos };
    await this.events.publish(ScannerEventTypes.reposUpdated, workspaceId, data);
  }
}

/** No connected GitHub installation is recorded for the workspace (yet, or any more). */
export class InstallationNotConnected extends Error {
  constructor(workspaceId: string) {
    super(`no connected GitHub installation is recorded for workspace ${workspaceId}`);
  }
}
