import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import {
  ScannerEventTypes,
  type Finding,
  type FindingChangedData,
  type TrackedFinding,
} from '#libs/contracts/src/index.js';
import { returnedRows } from '../scans/scan.store.js';

type Queryable = Pick<DataSource | EntityManager, 'query'>;

/** One subject judged: a repository (its GitHub id) or the organization (id 0). */
export interface Judged {
  githubId: number;
  findings: Finding[];
  /** The checks that were judged; an open finding of another check stays as it is. */
  evaluated: string[];
}

export interface Cause {
  cause: 'scan' | 'webhook';
  scanId?: string;
}

interface Row {
  github_id: string;
  check_name: string;
  state: 'open' | 'resolved';
  first_seen_at: Date;
}

/**
 * Findings with a lifecycle, in `scanner.findings`. A finding seen for the first time (or again
 * after it was resolved) is opened; one that a judged check no longer reports is resolved; nothing
 * is deleted. Every change is written to the outbox `scanner.finding_events` in the caller's
 * transaction, and `FindingOutbox` publishes it after commit.
 */
@Injectable()
export class FindingStore {
  async record(db: Queryable, workspaceId: string, judged: Judged[], cause: Cause): Promise<void> {
    if (judged.length === 0) return;
    const now = new Date().toISOString();
    const existing: Row[] = await db.query(
      `SELECT github_id, check_name, state, first_seen_at FROM scanner.findings
       WHERE workspace_id = $1 AND github_id = ANY($2::bigint[]) FOR UPDATE`,
      [workspaceId, judged.map((j) => j.githubId)],
    );
    const known = new Map(existing.map((r) => [`${r.github_id}:${r.check_name}`, r]));
    const current: TrackedFinding[] = [];
    const changes: Array<{ type: string; finding: TrackedFinding }> = [];
    const resolved: Array<{ githubId: number; check: string }> = [];
    for (const subject of judged) {
      const reported = new Set(subject.findings.map((f) => f.check));
      for (const finding of subject.findings) {
        const before = known.get(`${subject.githubId}:${finding.check}`);
        const stillOpen = before?.state === 'open';
        const tracked: TrackedFinding = {
          ...finding,
          githubId: subject.githubId,
          state: 'open',
          firstSeenAt: stillOpen ? before.first_seen_at.toISOString() : now,
          lastSeenAt: now,
          resolvedAt: null,
        };
        current.push(tracked);
        if (!stillOpen) changes.push({ type: ScannerEventTypes.findingOpened, finding: tracked });
      }
      for (const row of existing) {
        if (
          Number(row.github_id) === subject.githubId &&
          row.state === 'open' &&
          subject.evaluated.includes(row.check_name) &&
          !reported.has(row.check_name)
        ) {
          resolved.push({ githubId: subject.githubId, check: row.check_name });
        }
      }
    }
    if (current.length > 0) {
      await db.query(
        `INSERT INTO scanner.findings AS f (workspace_id, github_id, repo, check_name, expected,
           actual, severity, state, first_seen_at, last_seen_at, resolved_at)
         SELECT $1, x.github_id, x.repo, x."check", x.expected, x.actual, x.severity, 'open',
                x.first_seen_at, x.last_seen_at, NULL
         FROM jsonb_to_recordset($2::jsonb) AS x(github_id bigint, repo text, "check" text,
              expected jsonb, actual jsonb, severity text, first_seen_at timestamptz,
              last_seen_at timestamptz)
         ON CONFLICT (workspace_id, github_id, check_name) DO UPDATE SET repo = EXCLUDED.repo,
           expected = EXCLUDED.expected, actual = EXCLUDED.actual, severity = EXCLUDED.severity,
           state = 'open', first_seen_at = EXCLUDED.first_seen_at,
           last_seen_at = EXCLUDED.last_seen_at, resolved_at = NULL`,
        [
          workspaceId,
          JSON.stringify(
            current.map((f) => ({
              github_id: f.githubId,
              repo: f.repo,
              check: f.check,
              expected: f.expected,
              actual: f.actual,
              severity: f.severity,
              first_seen_at: f.firstSeenAt,
              last_seen_at: f.lastSeenAt,
            })),
          ),
        ],
      );
    }
    changes.push(...(await this.resolve(db, workspaceId, resolved, now)));
    await this.enqueue(db, workspaceId, changes, cause);
  }

  /** Resolves every open finding of these subjects (a repository that left the installation). */
  async resolveAll(
    db: Queryable,
    workspaceId: string,
    githubIds: number[],
    cause: Cause,
  ): Promise<void> {
    if (githubIds.length === 0) return;
    const open: Array<{ github_id: string; check_name: string }> = await db.query(
      `SELECT github_id, check_name FROM scanner.findings
       WHERE workspace_id = $1 AND github_id = ANY($2::bigint[]) AND state = 'open' FOR UPDATE`,
      [workspaceId, githubIds],
    );
    const changes = await this.resolve(
      db,
      workspaceId,
      open.map((r) => ({ githubId: Number(r.github_id), check: r.check_name })),
      new Date().toISOString(),
    );
    await this.enqueue(db, workspaceId, changes, cause);
  }

  private async resolve(
    db: Queryable,
    workspaceId: string,
    findings: Array<{ githubId: number; check: string }>,
    at: string,
  ): Promise<Array<{ type: string; finding: TrackedFinding }>> {
    if (findings.length === 0) return [];
    const rows = returnedRows<FindingRow>(
      await db.query(
        `UPDATE scanner.findings f SET state = 'resolved', resolved_at = $3
         FROM jsonb_to_recordset($2::jsonb) AS x(github_id bigint, "check" text)
         WHERE f.workspace_id = $1 AND f.github_id = x.github_id AND f.check_name = x."check"
         RETURNING f.*`,
        [
          workspaceId,
          JSON.stringify(findings.map((f) => ({ github_id: f.githubId, check: f.check }))),
          at,
        ],
      ),
    );
    return rows.map((r) => ({
      type: ScannerEventTypes.findingResolved,
      finding: rowToTracked(r),
    }));
  }

  private async enqueue(
    db: Queryable,
    workspaceId: string,
    changes: Array<{ type: string; finding: TrackedFinding }>,
    cause: Cause,
  ): Promise<void> {
    if (changes.length === 0) return;
    await db.query(
      `INSERT INTO scanner.finding_events (id, workspace_id, type, data)
       SELECT x.id, $1, x.type, x.data
       FROM jsonb_to_recordset($2::jsonb) AS x(id uuid, type text, data jsonb)`,
      [
        workspaceId,
        JSON.stringify(
          changes.map(({ type, finding }) => {
            const data: FindingChangedData = {
              ...finding,
              cause: cause.cause,
              ...(cause.scanId ? { scanId: cause.scanId } : {}),
            };
            return { id: randomUUID(), type, data };
          }),
        ),
      ],
    );
  }
}

/** A `scanner.findings` row as Postgres (or `to_jsonb`) gives it. */
export interface FindingRow {
  github_id: string | number;
  repo: string;
  check_name: string;
  expected: unknown;
  actual: unknown;
  severity: TrackedFinding['severity'];
  state: TrackedFinding['state'];
  first_seen_at: Date | string;
  last_seen_at: Date | string;
  resolved_at: Date | string | null;
}

export function rowToTracked(r: FindingRow): TrackedFinding {
  const iso = (value: Date | string | null) => (value ? new Date(value).toISOString() : null);
  return {
    githubId: Number(r.github_id),
    repo: r.repo,
    check: r.check_name,
    expected: r.expected,
    actual: r.actual,
    severity: r.severity,
    state: r.state,
    firstSeenAt: iso(r.first_seen_at)!,
    lastSeenAt: iso(r.last_seen_at)!,
    resolvedAt: iso(r.resolved_at),
  };
}
