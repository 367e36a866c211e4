import { Inject, Injectable } from '@nestjs/common';
import { DATA_SOURCE } from '#libs/service-kit/src/index.js';
import { randomUUID } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import type { ScanStatus } from '#libs/contracts/src/index.js';

export interface ScanRow {
  id: string;
  workspaceId: string;
  installationId: string;
  accountLogin: string;
  status: ScanStatus;
  reposTotal: number;
  reposScanned: number;
  reposFailed: number;
  listingCursor: string | null;
  listingDone: boolean;
  startedAt: Date;
  finishedAt: Date | null;
  rateLimitResetAt: Date | null;
  error: string | null;
  correlationId: string | null;
}

/** TypeORM answers UPDATE/DELETE ... RETURNING as `[rows, count]` and INSERT as `rows`. */
export function returnedRows<T>(result: unknown): T[] {
  const value = result as unknown[];
  return (Array.isArray(value[0]) ? value[0] : value) as T[];
}

function toScan(row: Record<string, unknown>): ScanRow {
  return {
    id: row.id as string,
    workspaceId: row.workspace_id as string,
    installationId: row.installation_id as string,
    accountLogin: row.account_login as string,
    status: row.status as ScanStatus,
    reposTotal: row.repos_total as number,
    reposScanned: row.repos_scanned as number,
    reposFailed: row.repos_failed as number,
    listingCursor: (row.listing_cursor as string | null) ?? null,
    listingDone: row.listing_done as boolean,
    startedAt: row.started_at as Date,
    finishedAt: (row.finished_at as Date | null) ?? null,
    rateLimitResetAt: (row.rate_limit_reset_at as Date | null) ?? null,
    error: (row.error as string | null) ?? null,
    correlationId: (row.correlation_id as string | null) ?? null,
  };
}

/**
 * Scans and their checkpoints. A repository counts as scanned when its `scan_repos` row leaves
 * `pending`, in the same transaction that stores its results: a scanner killed at any point
 * resumes with exactly the repositories still pending, and none is counted twice.
 */
@Injectable()
export class ScanStore {
  constructor(@Inject(DATA_SOURCE) private readonly dataSource: DataSource) {}

  /**
   * A new queued scan, or the active one: the partial unique index lets only one active scan per
   * workspace exist, whichever replica asks first.
   */
  async createOrJoin(input: {
    workspaceId: string;
    installationId: string;
    accountLogin: string;
    correlationId: string;
  }): Promise<{ scan: ScanRow; created: boolean }> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const inserted: Array<Record<string, unknown>> = await this.dataSource.query(
        `INSERT INTO scanner.scans (id, workspace_id, installation_id, account_login, status, correlation_id)
         VALUES ($1, $2, $3, $4, 'queued', $5)
         ON CONFLICT (workspace_id) WHERE status IN ('queued','scanning','rate_limited') DO NOTHING
         RETURNING *`,
        [
          randomUUID(),
          input.workspaceId,
          input.installationId,
          input.accountLogin,
          input.correlationId,
        ],
      );
      if (inserted[0]) return { scan: toScan(inserted[0]), created: true };
      const active = await this.active(input.workspaceId);
      if (active) return { scan: active, created: false };
    }
    throw new Error('could not start or find the active scan');
  }

  async active(workspaceId: string): Promise<ScanRow | undefined> {
    const rows: Array<Record<string, unknown>> = await this.dataSource.query(
      `SELECT * FROM scanner.scans
       WHERE workspace_id = $1 AND status IN ('queued','scanning','rate_limited')`,
      [workspaceId],
    );
    return rows[0] ? toScan(rows[0]) : undefined;
  }

  async get(scanId: string): Promise<ScanRow | undefined> {
    const rows: Array<Record<string, unknown>> = await this.dataSource.query(
      `SELECT * FROM scanner.scans WHERE id = $1`,
      [scanId],
    );
    return rows[0] ? toScan(rows[0]) : undefined;
  }

  async setStatus(
    scanId: string,
    status: 'scanning' | 'rate_limited',
    rateLimitResetAt: Date | null,
  ): Promise<void> {
    await this.dataSource.query(
      `UPDATE scanner.scans SET status = $2, rate_limit_reset_at = $3
       WHERE id = $1 AND status IN ('queued','scanning','rate_limited')`,
      [scanId, status, rateLimitResetAt],
    );
  }

  /** One listing page stored: its repositories become pending, the cursor moves on. */
  async recordListingPage(
    db: EntityManager,
    scanId: string,
    repos: Array<{ githubId: number; fullName: string }>,
    page: { totalCount: number; endCursor: string | null; hasNextPage: boolean },
  ): Promise<void> {
    if (repos.length > 0) {
      await db.query(
        `INSERT INTO scanner.scan_repos (scan_id, github_id, full_name, state)
         SELECT $1, x.github_id, x.full_name, 'pending'
         FROM jsonb_to_recordset($2::jsonb) AS x(github_id bigint, full_name text)
         ON CONFLICT DO NOTHING`,
        [
          scanId,
          JSON.stringify(repos.map((r) => ({ github_id: r.githubId, full_name: r.fullName }))),
        ],
      );
    }
    await db.query(
      `UPDATE scanner.scans SET listing_cursor = COALESCE($2, listing_cursor), listing_done = $3,
         repos_total = $4 WHERE id = $1`,
      [scanId, page.endCursor, !page.hasNextPage, page.totalCount],
    );
  }

  /** Makes repos_total exact once the listing is complete (repos may come and go meanwhile). */
  async settleTotal(scanId: string): Promise<void> {
    await this.dataSource.query(
      `UPDATE scanner.scans SET repos_total =
         (SELECT count(*) FROM scanner.scan_repos WHERE scan_id = $1) WHERE id = $1`,
      [scanId],
    );
  }

  async pending(scanId: string): Promise<Array<{ githubId: number; fullName: string }>> {
    const rows: Array<{ github_id: string; full_name: string }> = await this.dataSource.query(
      `SELECT github_id, full_name FROM scanner.scan_repos
       WHERE scan_id = $1 AND state = 'pending' ORDER BY full_name`,
      [scanId],
    );
    return rows.map((r) => ({ githubId: Number(r.github_id), fullName: r.full_name }));
  }

  /**
   * Marks many repositories done or failed at once; only those still pending count. Answers the
   * scan's counters after it and the ids that were counted now.
   */
  async finishRepos(
    db: EntityManager,
    scanId: string,
    outcomes: Array<{ githubId: number; outcome: 'done' | 'failed'; error?: string }>,
  ): Promise<{
    counters: { reposScanned: number; reposFailed: number; reposTotal: number };
    counted: number[];
  }> {
    const changed = returnedRows<{ github_id: string; state: string }>(
      await db.query(
        `UPDATE scanner.scan_repos AS r SET state = x.outcome, error = x.error
         FROM jsonb_to_recordset($2::jsonb) AS x(github_id bigint, outcome text, error text)
         WHERE r.scan_id = $1 AND r.github_id = x.github_id AND r.state = 'pending'
         RETURNING r.github_id, r.state`,
        [
          scanId,
          JSON.stringify(
            outcomes.map((o) => ({
              github_id: o.githubId,
              outcome: o.outcome,
              error: o.error ?? null,
            })),
          ),
        ],
      ),
    );
    const failed = changed.filter((c) => c.state === 'failed').length;
    const rows = returnedRows<{ repos_scanned: number; repos_failed: number; repos_total: number }>(
      await db.query(
        `UPDATE scanner.scans SET repos_scanned = repos_scanned + $2,
           repos_failed = repos_failed + $3
         WHERE id = $1 RETURNING repos_scanned, repos_failed, repos_total`,
        [scanId, changed.length, failed],
      ),
    );
    const row = rows[0]!;
    return {
      counters: {
        reposScanned: row.repos_scanned,
        reposFailed: row.repos_failed,
        reposTotal: row.repos_total,
      },
      counted: changed.map((c) => Number(c.github_id)),
    };
  }

  /** Finished repositories whose results the gateway has not been sent yet. */
  async unpublished(scanId: string): Promise<number[]> {
    const rows: Array<{ github_id: string }> = await this.dataSource.query(
      `SELECT github_id FROM scanner.scan_repos
       WHERE scan_id = $1 AND state <> 'pending' AND NOT published`,
      [scanId],
    );
    return rows.map((r) => Number(r.github_id));
  }

  async markPublished(scanId: string, githubIds: number[]): Promise<void> {
    await this.dataSource.query(
      `UPDATE scanner.scan_repos SET published = true
       WHERE scan_id = $1 AND github_id = ANY($2::bigint[])`,
      [scanId, githubIds],
    );
  }

  async failedRepos(scanId: string): Promise<string[]> {
    const rows: Array<{ full_name: string }> = await this.dataSource.query(
      `SELECT full_name FROM scanner.scan_repos WHERE scan_id = $1 AND state = 'failed' ORDER BY 1`,
      [scanId],
    );
    return rows.map((r) => r.full_name);
  }

  async complete(
    scanId: string,
    db: Pick<DataSource | EntityManager, 'query'> = this.dataSource,
  ): Promise<ScanRow | undefined> {
    const rows = returnedRows<Record<string, unknown>>(
      await db.query(
        `UPDATE scanner.scans SET status = 'completed', finished_at = now(), rate_limit_reset_at = NULL
       WHERE id = $1 AND status IN ('queued','scanning','rate_limited') RETURNING *`,
        [scanId],
      ),
    );
    return rows[0] ? toScan(rows[0]) : undefined;
  }

  async fail(scanId: string, reason: string): Promise<ScanRow | undefined> {
    const rows = returnedRows<Record<string, unknown>>(
      await this.dataSource.query(
        `UPDATE scanner.scans SET status = 'failed', finished_at = now(), error = $2
       WHERE id = $1 AND status IN ('queued','scanning','rate_limited') RETURNING *`,
        [scanId, reason],
      ),
    );
    return rows[0] ? toScan(rows[0]) : undefined;
  }

  async lastCompleted(workspaceId: string): Promise<ScanRow | undefined> {
    const rows: Array<Record<string, unknown>> = await this.dataSource.query(
      `SELECT * FROM scanner.scans WHERE workspace_id = $1 AND status = 'completed'
       ORDER BY finished_at DESC LIMIT 1`,
      [workspaceId],
    );
    return rows[0] ? toScan(rows[0]) : undefined;
  }
}
