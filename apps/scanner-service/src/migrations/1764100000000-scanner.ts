import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The scanner's state: which installation each workspace connected, scans with their checkpoint
 * (listing cursor and one row per repository with its state), the repository inventory, drift
 * findings, and cached GitHub answers (ETag + the part of the body the scanner keeps).
 */
export class Scanner1764100000000 implements MigrationInterface {
  name = 'Scanner1764100000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE scanner.installations (
        workspace_id text PRIMARY KEY,
        integration_id text,
        installation_id text NOT NULL,
        account_login text NOT NULL,
        connected boolean NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await runner.query(`
      CREATE TABLE scanner.scans (
        id uuid PRIMARY KEY,
        workspace_id text NOT NULL,
        installation_id text NOT NULL,
        account_login text NOT NULL,
        status text NOT NULL CHECK (status IN ('queued','scanning','rate_limited','completed','failed')),
        repos_total integer NOT NULL DEFAULT 0,
        repos_scanned integer NOT NULL DEFAULT 0,
        repos_failed integer NOT NULL DEFAULT 0,
        listing_cursor text,
        listing_done boolean NOT NULL DEFAULT false,
        started_at timestamptz NOT NULL DEFAULT now(),
        finished_at timestamptz,
        rate_limit_reset_at timestamptz,
        error text,
        correlation_id text
      )`);
    // One active scan per workspace, enforced by the database for every replica at once.
    await runner.query(`
      CREATE UNIQUE INDEX scans_one_active_per_workspace ON scanner.scans (workspace_id)
      WHERE status IN ('queued','scanning','rate_limited')`);
    await runner.query(
      `CREATE INDEX scans_workspace_finished ON scanner.scans (workspace_id, finished_at DESC)`,
    );
    await runner.query(`
      CREATE TABLE scanner.scan_repos (
        scan_id uuid NOT NULL REFERENCES scanner.scans(id) ON DELETE CASCADE,
        github_id bigint NOT NULL,
        full_name text NOT NULL,
        state text NOT NULL CHECK (state IN ('pending','done','failed')),
        published boolean NOT NULL DEFAULT false,
        error text,
        PRIMARY KEY (scan_id, github_id)
      )`);
    await runner.query(`
      CREATE TABLE scanner.repos (
        workspace_id text NOT NULL,
        github_id bigint NOT NULL,
        full_name text NOT NULL,
        private boolean NOT NULL,
        visibility text NOT NULL,
        archived boolean NOT NULL,
        fork boolean NOT NULL,
        default_branch text,
        protection jsonb,
        secret_scanning text NOT NULL DEFAULT 'unknown',
        collaborators jsonb,
        teams jsonb,
        scan_state text NOT NULL,
        last_seen_scan_id uuid,
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (workspace_id, github_id)
      )`);
    await runner.query(`
      CREATE TABLE scanner.findings (
        workspace_id text NOT NULL,
        github_id bigint NOT NULL,
        repo text NOT NULL,
        check_name text NOT NULL,
        expected jsonb NOT NULL,
        actual jsonb NOT NULL,
        severity text NOT NULL,
        PRIMARY KEY (workspace_id, github_id, check_name)
      )`);
    await runner.query(`
      CREATE TABLE scanner.http_cache (
        workspace_id text NOT NULL,
        url text NOT NULL,
        etag text NOT NULL,
        body jsonb NOT NULL,
        next_url text,
        PRIMARY KEY (workspace_id, url)
      )`);
  }

  async down(runner: QueryRunner): Promise<void> {
    for (const table of [
      'http_cache',
      'findings',
      'repos',
      'scan_repos',
      'scans',
      'installations',
    ]) {
      await runner.query(`DROP TABLE IF EXISTS scanner.${table}`);
    }
  }
}
