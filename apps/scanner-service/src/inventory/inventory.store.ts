import { Inject, Injectable } from '@nestjs/common';
import { DATA_SOURCE } from '#libs/service-kit/src/index.js';
import type { DataSource, EntityManager } from 'typeorm';
import type { RepoRecord, TrackedFinding } from '#libs/contracts/src/index.js';
import { rowToTracked, type FindingRow } from '../findings/finding-store.js';
import type { ListedRepo, RepoListing } from '../github/github-reader.js';
import { returnedRows } from '../scans/scan.store.js';

type Queryable = Pick<DataSource | EntityManager, 'query'>;

interface RepoRow {
  github_id: string;
  full_name: string;
  private: boolean;
  visibility: RepoRecord['visibility'];
  archived: boolean;
  fork: boolean;
  default_branch: string | null;
  protection: RepoRecord['protection'] | { unknown: true };
  secret_scanning: RepoRecord['secretScanning'];
  security?: RepoRecord['security'];
  listing?: RepoListing | null;
  collaborators: RepoRecord['collaborators'];
  teams: RepoRecord['teams'];
  scan_state: RepoRecord['scanState'];
}

/** Protection is stored as JSON; "not readable" is kept apart from "unprotected" (null). */
const UNKNOWN_PROTECTION = { unknown: true } as const;

function protectionColumn(protection: RepoRecord['protection']) {
  return protection === undefined ? UNKNOWN_PROTECTION : protection;
}

export function rowToRecord(row: RepoRow): RepoRecord {
  const protection =
    row.protection && 'unknown' in row.protection ? undefined : (row.protection ?? null);
  return {
    githubId: Number(row.github_id),
    fullName: row.full_name,
    private: row.private,
    visibility: row.visibility,
    archived: row.archived,
    fork: row.fork,
    defaultBranch: row.default_branch,
    protection: protection as RepoRecord['protection'],
    secretScanning: row.secret_scanning,
    security: row.security ?? null,
    collaborators: row.collaborators,
    teams: row.teams,
    scanState: row.scan_state,
  };
}

/**
 * The repository inventory and its findings, per workspace, in schema `scanner`. Writes take an
 * optional transaction (`EntityManager`) so a scan can record a repository and its checkpoint
 * atomically.
 */
@Injectable()
export class InventoryStore {
  constructor(@Inject(DATA_SOURCE) private readonly dataSource: DataSource) {}

  /**
   * Discovery or a scan's listing: basic facts and what the listing said (a webhook's payload
   * says nothing of that: the last listing's stays); details already scanned are kept.
   */
  async upsertListed(
    workspaceId: string,
    repos: ListedRepo[],
    scanId: string | null,
    db: Queryable = this.dataSource,
  ): Promise<void> {
    if (repos.length === 0) return;
    await db.query(
      `INSERT INTO scanner.repos AS r (workspace_id, github_id, full_name, private, visibility,
         archived, fork, default_branch, protection, listing, scan_state, last_seen_scan_id,
         updated_at)
       SELECT $1, x.github_id, x.full_name, x.private, x.visibility, x.archived, x.fork,
              x.default_branch, '{"unknown":true}'::jsonb, x.listing, 'discovered', $3, now()
       FROM jsonb_to_recordset($2::jsonb) AS x(github_id bigint, full_name text, private boolean,
              visibility text, archived boolean, fork boolean, default_branch text, listing jsonb)
       ON CONFLICT (workspace_id, github_id) DO UPDATE SET
         full_name = EXCLUDED.full_name, private = EXCLUDED.private,
         visibility = EXCLUDED.visibility, archived = EXCLUDED.archived, fork = EXCLUDED.fork,
         default_branch = EXCLUDED.default_branch,
         listing = COALESCE(EXCLUDED.listing, r.listing),
         last_seen_scan_id = COALESCE(EXCLUDED.last_seen_scan_id, r.last_seen_scan_id),
         updated_at = now()`,
      [
        workspaceId,
        JSON.stringify(
          repos.map((r) => ({
            github_id: r.githubId,
            full_name: r.fullName,
            private: r.private,
            visibility: r.visibility,
            archived: r.archived,
            fork: r.fork,
            default_branch: r.defaultBranch,
            listing: r.listing ?? null,
          })),
        ),
        scanId,
      ],
    );
  }

  /**
   * Fully read repositories in one statement, replacing what was known (their findings go to
   * FindingStore in the same transaction). A row that would not change is left alone: most of a
   * rescan's repositories are as they were, and rewriting each (with its JSON columns) cost a new
   * row version per repository per scan. `updated_at` is then the time of the last change.
   */
  async saveScanned(
    workspaceId: string,
    records: RepoRecord[],
    db: Queryable = this.dataSource,
  ): Promise<void> {
    const entries = records.map((record) => ({ record }));
    if (entries.length === 0) return;
    await db.query(
      `INSERT INTO scanner.repos AS r (workspace_id, github_id, full_name, private, visibility,
         archived, fork, default_branch, protection, secret_scanning, security, collaborators,
         teams, scan_state, updated_at)
       SELECT $1, x.github_id, x.full_name, x.private, x.visibility, x.archived, x.fork,
              x.default_branch, x.protection, x.secret_scanning, x.security, x.collaborators,
              x.teams, x.scan_state, now()
       FROM jsonb_to_recordset($2::jsonb) AS x(github_id bigint, full_name text, private boolean,
              visibility text, archived boolean, fork boolean, default_branch text,
              protection jsonb, secret_scanning text, security jsonb, collaborators jsonb,
              teams jsonb, scan_state text)
       ON CONFLICT (workspace_id, github_id) DO UPDATE SET
         full_name = EXCLUDED.full_name, private = EXCLUDED.private,
         visibility = EXCLUDED.visibility, archived = EXCLUDED.archived, fork = EXCLUDED.fork,
         default_branch = EXCLUDED.default_branch, protection = EXCLUDED.protection,
         secret_scanning = EXCLUDED.secret_scanning, security = EXCLUDED.security,
         collaborators = EXCLUDED.collaborators,
         teams = EXCLUDED.teams, scan_state = EXCLUDED.scan_state, updated_at = now()
       WHERE (r.full_name, r.private, r.visibility, r.archived, r.fork, r.default_branch,
              r.protection, r.secret_scanning, r.security, r.collaborators, r.teams, r.scan_state)
         IS DISTINCT FROM
             (EXCLUDED.full_name, EXCLUDED.private, EXCLUDED.visibility, EXCLUDED.archived,
              EXCLUDED.fork, EXCLUDED.default_branch, EXCLUDED.protection,
              EXCLUDED.secret_scanning, EXCLUDED.security, EXCLUDED.collaborators,
              EXCLUDED.teams, EXCLUDED.scan_state)`,
      [
        workspaceId,
        JSON.stringify(
          entries.map(({ record }) => ({
            github_id: record.githubId,
            full_name: record.fullName,
            private: record.private,
            visibility: record.visibility,
            archived: record.archived,
            fork: record.fork,
            default_branch: record.defaultBranch,
            protection: protectionColumn(record.protection),
            secret_scanning: record.secretScanning,
            security: record.security ?? null,
            collaborators: record.collaborators,
            teams: record.teams,
            scan_state: record.scanState,
          })),
        ),
      ],
    );
  }

  async markFailedBatch(workspaceId: string, githubIds: number[], db: Queryable = this.dataSource) {
    if (githubIds.length === 0) return;
    await db.query(
      `UPDATE scanner.repos SET scan_state = 'failed', updated_at = now()
       WHERE workspace_id = $1 AND github_id = ANY($2::bigint[])`,
      [workspaceId, githubIds],
    );
  }

  /** Every repository's listed facts, by GitHub id (a scan reads them once, not per repository). */
  async all(workspaceId: string): Promise<Map<number, ListedRepo>> {
    const rows: RepoRow[] = await this.dataSource.query(
      `SELECT github_id, full_name, private, visibility, archived, fork, default_branch, listing,
              NULL AS protection, 'unknown' AS secret_scanning, NULL AS collaborators,
              NULL AS teams, scan_state
       FROM scanner.repos WHERE workspace_id = $1`,
      [workspaceId],
    );
    return new Map(
      rows.map((row) => {
        const { githubId, fullName, visibility, archived, fork, defaultBranch } = rowToRecord(row);
        const listed: ListedRepo = {
          githubId,
          fullName,
          private: row.private,
          visibility,
          archived,
          fork,
          defaultBranch,
          ...(row.listing ? { listing: row.listing } : {}),
        };
        return [githubId, listed];
      }),
    );
  }

  async get(workspaceId: string, githubId: number): Promise<RepoRecord | undefined> {
    const rows: RepoRow[] = await this.dataSource.query(
      `SELECT * FROM scanner.repos WHERE workspace_id = $1 AND github_id = $2`,
      [workspaceId, githubId],
    );
    return rows[0] ? rowToRecord(rows[0]) : undefined;
  }

  async findByName(workspaceId: string, fullName: string): Promise<RepoRecord | undefined> {
    const rows: RepoRow[] = await this.dataSource.query(
      `SELECT * FROM scanner.repos WHERE workspace_id = $1 AND lower(full_name) = lower($2)`,
      [workspaceId, fullName],
    );
    return rows[0] ? rowToRecord(rows[0]) : undefined;
  }

  /** Records with their open findings, for (re)publishing to the gateway. */
  async withFindings(
    workspaceId: string,
    githubIds: number[],
  ): Promise<Array<RepoRecord & { findings: TrackedFinding[] | null }>> {
    if (githubIds.length === 0) return [];
    const rows: Array<RepoRow & { findings: FindingRow[] | null }> = await this.dataSource.query(
      `SELECT r.*, (SELECT jsonb_agg(to_jsonb(f) ORDER BY f.check_name)
                 FROM scanner.findings f
                 WHERE f.workspace_id = r.workspace_id AND f.github_id = r.github_id
                   AND f.state = 'open') AS findings
         FROM scanner.repos r WHERE r.workspace_id = $1 AND r.github_id = ANY($2::bigint[])`,
      [workspaceId, githubIds],
    );
    return rows.map(({ findings, listing: _listing, ...row }) => ({
      ...rowToRecord(row),
      findings: row.scan_state === 'scanned' ? (findings ?? []).map(rowToTracked) : null,
    }));
  }

  async rename(workspaceId: string, githubId: number, fullName: string): Promise<boolean> {
    const [, count] = (await this.dataSource.query(
      `UPDATE scanner.repos SET full_name = $3, updated_at = now()
       WHERE workspace_id = $1 AND github_id = $2`,
      [workspaceId, githubId, fullName],
    )) as [unknown, number];
    await this.dataSource.query(
      `UPDATE scanner.findings SET repo = $3 WHERE workspace_id = $1 AND github_id = $2`,
      [workspaceId, githubId, fullName],
    );
    return count > 0;
  }

  /** Forgets a repository; its findings are resolved by the caller (FindingStore), not deleted. */
  async remove(workspaceId: string, githubId: number, db: Queryable = this.dataSource) {
    const [, count] = (await db.query(
      `DELETE FROM scanner.repos WHERE workspace_id = $1 AND github_id = $2`,
      [workspaceId, githubId],
    )) as [unknown, number];
    return count > 0;
  }

  /** Repositories a completed scan did not list any more: gone from the installation. */
  async removeUnseen(
    workspaceId: string,
    scanId: string,
  ): Promise<Array<{ githubId: number; fullName: string }>> {
    const rows = returnedRows<{ github_id: string; full_name: string }>(
      await this.dataSource.query(
        `DELETE FROM scanner.repos WHERE workspace_id = $1
           AND (last_seen_scan_id IS DISTINCT FROM $2)
         RETURNING github_id, full_name`,
        [workspaceId, scanId],
      ),
    );
    return rows.map((r) => ({ githubId: Number(r.github_id), fullName: r.full_name }));
  }
}
