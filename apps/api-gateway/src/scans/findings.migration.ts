import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Findings with a lifecycle in the read model: each finding keeps its state (open, resolved) and
 * first-seen, last-seen and resolved times; every opening and resolution is kept as history. The
 * scan row keeps the checks the last scan skipped for want of a permission.
 */
export class GithubFindingLifecycle1764000019000 implements MigrationInterface {
  name = 'GithubFindingLifecycle1764000019000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      ALTER TABLE gateway.github_findings
        ADD COLUMN state text NOT NULL DEFAULT 'open',
        ADD COLUMN first_seen_at timestamptz,
        ADD COLUMN last_seen_at timestamptz,
        ADD COLUMN resolved_at timestamptz`);
    await runner.query(
      `CREATE INDEX github_findings_by_state ON gateway.github_findings (workspace_id, state, severity_rank DESC)`,
    );
    await runner.query(
      `ALTER TABLE gateway.github_scans ADD COLUMN skipped_checks jsonb NOT NULL DEFAULT '[]'`,
    );
    await runner.query(`
      CREATE TABLE gateway.github_finding_history (
        event_id text PRIMARY KEY,
        workspace_id text NOT NULL,
        github_id bigint NOT NULL,
        repo text NOT NULL,
        check_name text NOT NULL,
        change text NOT NULL CHECK (change IN ('opened','resolved')),
        severity text NOT NULL,
        expected jsonb NOT NULL,
        actual jsonb NOT NULL,
        first_seen_at timestamptz NOT NULL,
        last_seen_at timestamptz NOT NULL,
        resolved_at timestamptz,
        cause text NOT NULL,
        scan_id text,
        occurred_at timestamptz NOT NULL
      )`);
    await runner.query(
      `CREATE INDEX github_finding_history_by_repo ON gateway.github_finding_history (workspace_id, lower(repo), occurred_at)`,
    );
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`DROP TABLE IF EXISTS gateway.github_finding_history`);
    await runner.query(`ALTER TABLE gateway.github_scans DROP COLUMN skipped_checks`);
    await runner.query(`DROP INDEX IF EXISTS gateway.github_findings_by_state`);
    await runner.query(`
      ALTER TABLE gateway.github_findings DROP COLUMN state, DROP COLUMN first_seen_at,
        DROP COLUMN last_seen_at, DROP COLUMN resolved_at`);
  }
}
