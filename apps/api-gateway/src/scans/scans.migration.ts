import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Read models projected from SCANNER_EVENTS: each workspace's current (or last) GitHub scan, its
 * repository inventory and its drift findings.
 */
export class GithubScans1764000009000 implements MigrationInterface {
  name = 'GithubScans1764000009000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE gateway.github_scans (
        workspace_id text PRIMARY KEY,
        scan_id uuid NOT NULL,
        status text NOT NULL,
        repos_scanned integer NOT NULL DEFAULT 0,
        repos_total integer NOT NULL DEFAULT 0,
        repos_failed integer NOT NULL DEFAULT 0,
        started_at timestamptz NOT NULL,
        rate_limit_reset_at timestamptz,
        failure_reason text,
        last_completed_at timestamptz,
        last_completed_scan_id uuid,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await runner.query(`
      CREATE TABLE gateway.github_repos (
        workspace_id text NOT NULL,
        github_id bigint NOT NULL,
        full_name text NOT NULL,
        private boolean NOT NULL,
        archived boolean NOT NULL,
        scan_state text NOT NULL,
        record jsonb NOT NULL,
        PRIMARY KEY (workspace_id, github_id)
      )`);
    await runner.query(
      `CREATE INDEX github_repos_by_name ON gateway.github_repos (workspace_id, lower(full_name), github_id)`,
    );
    await runner.query(`
      CREATE TABLE gateway.github_findings (
        workspace_id text NOT NULL,
        github_id bigint NOT NULL,
        repo text NOT NULL,
        check_name text NOT NULL,
        expected jsonb NOT NULL,
        actual jsonb NOT NULL,
        severity text NOT NULL,
        severity_rank smallint NOT NULL,
        PRIMARY KEY (workspace_id, github_id, check_name)
      )`);
    await runner.query(
      `CREATE INDEX github_findings_order ON gateway.github_findings (workspace_id, severity_rank DESC, repo, check_name)`,
    );
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`DROP TABLE IF EXISTS gateway.github_findings`);
    await runner.query(`DROP TABLE IF EXISTS gateway.github_repos`);
    await runner.query(`DROP TABLE IF EXISTS gateway.github_scans`);
  }
}
