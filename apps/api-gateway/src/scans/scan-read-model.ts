import type { DataSource } from 'typeorm';
import { loadScanState, loadScanStates } from './scanner-events.projection.js';
import type { ScanState } from './scan-progress.js';

export interface RepoPage {
  repos: Array<{ id: string; name: string; private: boolean }>;
  total: number;
}

export interface FindingFilter {
  repo?: string;
  check?: string;
  severity?: string;
  /** Open by default: what is wrong now. */
  state?: 'open' | 'resolved';
}

/** A finding as the API shows it (TinyOps Integrations API `findings`, with its lifecycle). */
export interface FindingView {
  repo: string;
  check: string;
  expected: unknown;
  actual: unknown;
  severity: string;
  state: 'open' | 'resolved';
  firstSeenAt: string | null;
  lastSeenAt: string | null;
  resolvedAt: string | null;
}

export interface FindingChangeView {
  repo: string;
  check: string;
  change: 'opened' | 'resolved';
  severity: string;
  expected: unknown;
  actual: unknown;
  at: string;
  firstSeenAt: string;
  lastSeenAt: string;
  resolvedAt: string | null;
  cause: 'scan' | 'webhook';
  scanId: string | null;
}

const iso = (value: unknown) => (value ? new Date(value as string).toISOString() : null);

/** Exports (SARIF, CSV) carry every matching finding up to this many. */
export const EXPORT_LIMIT = 50_000;

/** Escapes LIKE wildcards so `search=a_b` means the text `a_b`. */
function likePattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** Queries over the scan read models; every one is scoped by workspace. */
export class ScanReadModel {
  constructor(private readonly dataSource: DataSource) {}

  scan(workspaceId: string): Promise<ScanState | undefined> {
    return loadScanState(this.dataSource, workspaceId);
  }

  scans(workspaceIds: readonly string[]): Promise<Map<string, ScanState>> {
    return loadScanStates(this.dataSource, workspaceIds);
  }

  /** Stable order: by name (case-insensitive), then GitHub id. */
  async repos(
    workspaceId: string,
    page: number,
    perPage: number,
    search: string | undefined,
  ): Promise<RepoPage> {
    const params: unknown[] = [workspaceId];
    let where = 'workspace_id = $1';
    if (search) {
      params.push(likePattern(search));
      where += ` AND full_name ILIKE $2`;
    }
    const [{ total }] = await this.dataSource.query(
      `SELECT count(*)::int AS total FROM gateway.github_repos WHERE ${where}`,
      params,
    );
    const rows: Array<{ github_id: string; full_name: string; private: boolean }> =
      await this.dataSource.query(
        `SELECT github_id, full_name, private FROM gateway.github_repos WHERE ${where}
         ORDER BY lower(full_name), github_id LIMIT ${perPage} OFFSET ${(page - 1) * perPage}`,
        params,
      );
    return {
      repos: rows.map((r) => ({
        id: `repo_${r.github_id}`,
        name: r.full_name,
        private: r.private,
      })),
      total,
    };
  }

  /** Most severe first, then by repository and check; `perPage` 0 with page 1: all (exports). */
  async findings(
    workspaceId: string,
    page: number,
    perPage: number,
    filter: FindingFilter,
  ): Promise<{ findings: FindingView[]; total: number }> {
    const params: unknown[] = [workspaceId, filter.state ?? 'open'];
    const conditions = ['workspace_id = $1', 'state = $2'];
    if (filter.repo) {
      params.push(filter.repo);
      conditions.push(`lower(repo) = lower($${params.length})`);
    }
    if (filter.check) {
      params.push(filter.check);
      conditions.push(`check_name = $${params.length}`);
    }
    if (filter.severity) {
      params.push(filter.severity);
      conditions.push(`severity = $${params.length}`);
    }
    const where = conditions.join(' AND ');
    const [{ total }] = await this.dataSource.query(
      `SELECT count(*)::int AS total FROM gateway.github_findings WHERE ${where}`,
      params,
    );
    const limit = perPage > 0 ? perPage : EXPORT_LIMIT;
    const rows: Array<Record<string, unknown>> = await this.dataSource.query(
      `SELECT repo, check_name, expected, actual, severity, state, first_seen_at, last_seen_at,
              resolved_at
       FROM gateway.github_findings
       WHERE ${where} ORDER BY severity_rank DESC, lower(repo), check_name, github_id
       LIMIT ${limit} OFFSET ${(page - 1) * limit}`,
      params,
    );
    return {
      findings: rows.map((r) => ({
        repo: r.repo as string,
        check: r.check_name as string,
        expected: r.expected,
        actual: r.actual,
        severity: r.severity as string,
        state: r.state as FindingView['state'],
        firstSeenAt: iso(r.first_seen_at),
        lastSeenAt: iso(r.last_seen_at),
        resolvedAt: iso(r.resolved_at),
      })),
      total: total as number,
    };
  }

  /** A repository's (or the organization's) findings history, oldest change first. */
  async findingHistory(
    workspaceId: string,
    repo: string,
    page: number,
    perPage: number,
    check?: string,
  ): Promise<{ changes: FindingChangeView[]; total: number }> {
    const params: unknown[] = [workspaceId, repo];
    let where = 'workspace_id = $1 AND lower(repo) = lower($2)';
    if (check) {
      params.push(check);
      where += ` AND check_name = $3`;
    }
    const [{ total }] = await this.dataSource.query(
      `SELECT count(*)::int AS total FROM gateway.github_finding_history WHERE ${where}`,
      params,
    );
    const rows: Array<Record<string, unknown>> = await this.dataSource.query(
      `SELECT * FROM gateway.github_finding_history WHERE ${where}
       ORDER BY occurred_at, check_name, event_id
       LIMIT ${perPage} OFFSET ${(page - 1) * perPage}`,
      params,
    );
    return {
      changes: rows.map((r) => ({
        repo: r.repo as string,
        check: r.check_name as string,
        change: r.change as FindingChangeView['change'],
        severity: r.severity as string,
        expected: r.expected,
        actual: r.actual,
        at: iso(r.occurred_at)!,
        firstSeenAt: iso(r.first_seen_at)!,
        lastSeenAt: iso(r.last_seen_at)!,
        resolvedAt: iso(r.resolved_at),
        cause: r.cause as FindingChangeView['cause'],
        scanId: (r.scan_id as string | null) ?? null,
      })),
      total: total as number,
    };
  }
}
