import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Findings with a lifecycle: a finding is opened when first seen and resolved when a later scan
 * or a webhook shows it fixed, never deleted. Each change also goes to an outbox, published to
 * SCANNER_EVENTS after commit (a crash between the two loses nothing). Repositories keep what the
 * listing said beyond their facts (classic protection, ruleset summaries) and their security
 * settings.
 */
export class FindingLifecycle1764100008000 implements MigrationInterface {
  name = 'FindingLifecycle1764100008000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      ALTER TABLE scanner.findings
        ADD COLUMN state text NOT NULL DEFAULT 'open' CHECK (state IN ('open','resolved')),
        ADD COLUMN first_seen_at timestamptz NOT NULL DEFAULT now(),
        ADD COLUMN last_seen_at timestamptz NOT NULL DEFAULT now(),
        ADD COLUMN resolved_at timestamptz`);
    await runner.query(`
      CREATE TABLE scanner.finding_events (
        position bigserial PRIMARY KEY,
        id uuid NOT NULL UNIQUE,
        workspace_id text NOT NULL,
        type text NOT NULL,
        data jsonb NOT NULL,
        published_at timestamptz
      )`);
    await runner.query(
      `CREATE INDEX finding_events_unpublished ON scanner.finding_events (position) WHERE published_at IS NULL`,
    );
    await runner.query(
      `ALTER TABLE scanner.repos ADD COLUMN listing jsonb, ADD COLUMN security jsonb`,
    );
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`ALTER TABLE scanner.repos DROP COLUMN listing, DROP COLUMN security`);
    await runner.query(`DROP TABLE IF EXISTS scanner.finding_events`);
    await runner.query(`
      ALTER TABLE scanner.findings DROP COLUMN state, DROP COLUMN first_seen_at,
        DROP COLUMN last_seen_at, DROP COLUMN resolved_at`);
  }
}
