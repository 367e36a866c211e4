import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Webhook processing's own state: each delivery processed once (and what came of it, counted by
 * event type), and per repository the newest state applied, so an older delivery never
 * overwrites a newer one.
 */
export class WebhookProcessing1764100006000 implements MigrationInterface {
  name = 'WebhookProcessing1764100006000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE scanner.webhook_deliveries (
        delivery_id text PRIMARY KEY,
        event text NOT NULL,
        action text,
        workspace_id text,
        outcome text NOT NULL,
        attempts int NOT NULL,
        processed_at timestamptz NOT NULL DEFAULT now()
      )`);
    await runner.query(
      `CREATE INDEX webhook_deliveries_by_event ON scanner.webhook_deliveries (event, outcome)`,
    );
    await runner.query(`
      CREATE TABLE scanner.webhook_repo_versions (
        workspace_id text NOT NULL,
        github_id bigint NOT NULL,
        version_at timestamptz NOT NULL,
        stream_seq bigint NOT NULL,
        present boolean NOT NULL,
        -- GitHub never reuses a repository id: once deleted, no later delivery brings it back.
        deleted boolean NOT NULL DEFAULT false,
        PRIMARY KEY (workspace_id, github_id)
      )`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`DROP TABLE scanner.webhook_repo_versions`);
    await runner.query(`DROP TABLE scanner.webhook_deliveries`);
  }
}
