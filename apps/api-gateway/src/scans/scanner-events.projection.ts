import type { EntityManager } from 'typeorm';
import type { Projection } from '#libs/projections/src/index.js';
import {
  ScannerEventTypes,
  Streams,
  type Envelope,
  type FindingChangedData,
  type RepoRemovedData,
  type ReposUpdatedData,
} from '#libs/contracts/src/index.js';
import { evolveScanState, type ScanState } from './scan-progress.js';

export const SCANNER_EVENTS_PROJECTION = 'gateway-scanner-events';

const SEVERITY_RANK: Record<string, number> = { low: 1, medium: 2, high: 3, critical: 4 };

type Db = Pick<EntityManager, 'query'>;

/** The scan, repository and findings read models, from SCANNER_EVENTS. */
export const scannerEventsProjection: Projection = {
  name: SCANNER_EVENTS_PROJECTION,
  stream: Streams.scannerEvents.name,
  canHandle: (event) => !!event.workspaceId,
  async apply(tx, events) {
    for (const event of events) await applyScannerEvent(tx, event);
  },
};

/** Applies one SCANNER_EVENTS event to the scan, repository and findings read models. */
export async function applyScannerEvent(tx: Db, event: Envelope<string, unknown>): Promise<void> {
  const workspaceId = event.workspaceId;
  if (!workspaceId) return;
  switch (event.type) {
    case ScannerEventTypes.reposUpdated:
      return applyRepos(tx, workspaceId, event.data as ReposUpdatedData);
    case ScannerEventTypes.findingOpened:
    case ScannerEventTypes.findingResolved:
      return applyFindingChange(tx, workspaceId, event as Envelope<string, FindingChangedData>);
    case ScannerEventTypes.repoRemoved: {
      // Its findings stay, resolved by their own events: nothing is silently deleted.
      const { githubId } = event.data as RepoRemovedData;
      await tx.query(
        `DELETE FROM gateway.github_repos WHERE workspace_id = $1 AND github_id = $2`,
        [workspaceId, githubId],
      );
      return;
    }
    default: {
      const current = await loadScanState(tx, workspaceId);
      const next = evolveScanState(current, event);
      if (next) await saveScanState(tx, workspaceId, next);
    }
  }
}

async function applyRepos(tx: Db, workspaceId: string, data: ReposUpdatedData): Promise<void> {
  if (!data.repos?.length) return;
  await tx.query(
    `INSERT INTO gateway.github_repos (workspace_id, github_id, full_name, private, archived, scan_state, record)
     SELECT $1, x.github_id, x.full_name, x.private, x.archived, x.scan_state, x.record
     FROM jsonb_to_recordset($2::jsonb) AS x(github_id bigint, full_name text, private boolean,
          archived boolean, scan_state text, record jsonb)
     ON CONFLICT (workspace_id, github_id) DO UPDATE SET full_name = EXCLUDED.full_name,
       private = EXCLUDED.private, archived = EXCLUDED.archived, scan_state = EXCLUDED.scan_state,
       record = EXCLUDED.record`,
    [
      workspaceId,
      JSON.stringify(
        data.repos.map(({ findings: _findings, ...record }) => ({
          github_id: record.githubId,
          full_name: record.fullName,
          private: record.private,
          archived: record.archived,
          scan_state: record.scanState,
          record,
        })),
      ),
    ],
  );
  // Open findings travel with scanned repositories (a discovery leaves them as they were); their
  // openings and resolutions come as FindingOpened / FindingResolved. A snapshot older than a
  // resolution does not reopen the finding.
  const rows = data.repos.flatMap((r) =>
    (r.findings ?? []).map((f) => ({
      github_id: r.githubId,
      repo: f.repo,
      check_name: f.check,
      expected: f.expected,
      actual: f.actual,
      severity: f.severity,
      severity_rank: SEVERITY_RANK[f.severity] ?? 0,
      first_seen_at: f.firstSeenAt ?? null,
      last_seen_at: f.lastSeenAt ?? null,
    })),
  );
  if (rows.length === 0) return;
  await tx.query(
    `INSERT INTO gateway.github_findings AS g (workspace_id, github_id, repo, check_name, expected,
       actual, severity, severity_rank, state, first_seen_at, last_seen_at)
     SELECT $1, x.github_id, x.repo, x.check_name, x.expected, x.actual, x.severity,
            x.severity_rank, 'open', x.first_seen_at, x.last_seen_at
     FROM jsonb_to_recordset($2::jsonb) AS x(github_id bigint, repo text, check_name text,
          expected jsonb, actual jsonb, severity text, severity_rank smallint,
          first_seen_at timestamptz, last_seen_at timestamptz)
     ON CONFLICT (workspace_id, github_id, check_name) DO UPDATE SET repo = EXCLUDED.repo,
       expected = EXCLUDED.expected, actual = EXCLUDED.actual, severity = EXCLUDED.severity,
       severity_rank = EXCLUDED.severity_rank, state = 'open',
       first_seen_at = EXCLUDED.first_seen_at, last_seen_at = EXCLUDED.last_seen_at,
       resolved_at = NULL
     WHERE g.state = 'open' OR g.resolved_at IS NULL OR EXCLUDED.last_seen_at > g.resolved_at`,
    [workspaceId, JSON.stringify(rows)],
  );
}

/** A finding opened or resolved: the current row follows, and the change joins the history. */
async function applyFindingChange(
  tx: Db,
  workspaceId: string,
  event: Envelope<string, FindingChangedData>,
): Promise<void> {
  const f = event.data;
  const opened = event.type === ScannerEventTypes.findingOpened;
  const inserted: unknown[] = await tx.query(
    `INSERT INTO gateway.github_finding_history (event_id, workspace_id, github_id, repo,
       check_name, change, severity, expected, actual, first_seen_at, last_seen_at, resolved_at,
       cause, scan_id, occurred_at)
     VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15)
     ON CONFLICT (event_id) DO NOTHING RETURNING 1`,
    [
      event.id,
      workspaceId,
      f.githubId,
      f.repo,
      f.check,
      opened ? 'opened' : 'resolved',
      f.severity,
      JSON.stringify(f.expected),
      JSON.stringify(f.actual),
      f.firstSeenAt,
      f.lastSeenAt,
      f.resolvedAt,
      f.cause,
      f.scanId ?? null,
      opened ? f.firstSeenAt : (f.resolvedAt ?? event.occurredAt),
    ],
  );
  if (inserted.length === 0) return;
  // The newest change wins: an opening older than the row's resolution does not reopen it.
  await tx.query(
    `INSERT INTO gateway.github_findings AS g (workspace_id, github_id, repo, check_name, expected,
       actual, severity, severity_rank, state, first_seen_at, last_seen_at, resolved_at)
     VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12)
     ON CONFLICT (workspace_id, github_id, check_name) DO UPDATE SET repo = EXCLUDED.repo,
       expected = EXCLUDED.expected, actual = EXCLUDED.actual, severity = EXCLUDED.severity,
       severity_rank = EXCLUDED.severity_rank, state = EXCLUDED.state,
       first_seen_at = EXCLUDED.first_seen_at, last_seen_at = EXCLUDED.last_seen_at,
       resolved_at = EXCLUDED.resolved_at
     WHERE EXCLUDED.state = 'resolved' OR g.resolved_at IS NULL
        OR EXCLUDED.first_seen_at >= g.resolved_at`,
    [
      workspaceId,
      f.githubId,
      f.repo,
      f.check,
      JSON.stringify(f.expected),
      JSON.stringify(f.actual),
      f.severity,
      SEVERITY_RANK[f.severity] ?? 0,
      opened ? 'open' : 'resolved',
      f.firstSeenAt,
      f.lastSeenAt,
      opened ? null : f.resolvedAt,
    ],
  );
}

export async function loadScanState(db: Db, workspaceId: string): Promise<ScanState | undefined> {
  return (await loadScanStates(db, [workspaceId])).get(workspaceId);
}

/** The scan rows of several workspaces in one query (workspaces without one are left out). */
export async function loadScanStates(
  db: Db,
  workspaceIds: readonly string[],
): Promise<Map<string, ScanState>> {
  const rows: Array<Record<string, unknown>> = await db.query(
    `SELECT * FROM gateway.github_scans WHERE workspace_id = ANY($1::text[])`,
    [workspaceIds],
  );
  return new Map(rows.map((row) => [row.workspace_id as string, toScanState(row)]));
}

function toScanState(row: Record<string, unknown>): ScanState {
  const iso = (value: unknown) => (value ? (value as Date).toISOString() : null);
  return {
    scanId: row.scan_id as string,
    status: row.status as ScanState['status'],
    reposScanned: row.repos_scanned as number,
    reposTotal: row.repos_total as number,
    reposFailed: row.repos_failed as number,
    startedAt: iso(row.started_at)!,
    rateLimitResetAt: iso(row.rate_limit_reset_at),
    failureReason: (row.failure_reason as string | null) ?? null,
    lastCompletedAt: iso(row.last_completed_at),
    lastCompletedScanId: (row.last_completed_scan_id as string | null) ?? null,
    lastSkippedChecks: (row.skipped_checks as ScanState['lastSkippedChecks'] | null) ?? [],
  };
}

async function saveScanState(db: Db, workspaceId: string, state: ScanState): Promise<void> {
  await db.query(
    `INSERT INTO gateway.github_scans (workspace_id, scan_id, status, repos_scanned, repos_total,
       repos_failed, started_at, rate_limit_reset_at, failure_reason, last_completed_at,
       last_completed_scan_id, skipped_checks, updated_at)
     VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12, now())
     ON CONFLICT (workspace_id) DO UPDATE SET scan_id = EXCLUDED.scan_id, status = EXCLUDED.status,
       repos_scanned = EXCLUDED.repos_scanned, repos_total = EXCLUDED.repos_total,
       repos_failed = EXCLUDED.repos_failed, started_at = EXCLUDED.started_at,
       rate_limit_reset_at = EXCLUDED.rate_limit_reset_at, failure_reason = EXCLUDED.failure_reason,
       last_completed_at = EXCLUDED.last_completed_at,
       last_completed_scan_id = EXCLUDED.last_completed_scan_id,
       skipped_checks = EXCLUDED.skipped_checks, updated_at = now()`,
    [
      workspaceId,
      state.scanId,
      state.status,
      state.reposScanned,
      state.reposTotal,
      state.reposFailed,
      state.startedAt,
      state.rateLimitResetAt,
      state.failureReason,
      state.lastCompletedAt,
      state.lastCompletedScanId,
      JSON.stringify(state.lastSkippedChecks),
    ],
  );
}
