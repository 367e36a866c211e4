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
}

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

  /** Most severe first, then by repository and check. */
  async findings(workspaceId: string, page: number, perPage: number, filter: FindingFilter) {
    const params: unknown[] = [workspaceId];
    const conditions = ['workspace_id = $1'];
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
    const rows: Array<Record<string, unknown>> = await this.dataSource.query(
      `SELECT repo, check_name, expected, actual, severity FROM gateway.github_findings
       WHERE ${where} ORDER BY severity_rank DESC, lower(repo), check_name, github_id
       LIMIT ${perPage} OFFSET ${(page - 1) * perPage}`,
      params,
    );
    return {
      findings: rows.map((r) => ({
        repo: r.repo as string,
        check: r.check_name as string,
        expected: r.expected,
        actual: r.actual,
        severity: r.severity as string,
      })),
      total: total as number,
    };
  }
}
