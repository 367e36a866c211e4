import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The SHA-256 of every delivery body intake accepted, with the delivery id it came under. */
export class GithubWebhookBodies1764000013700 implements MigrationInterface {
  name = 'GithubWebhookBodies1764000013700';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE gateway.github_webhook_bodies (
        body_sha256 bytea PRIMARY KEY,
        delivery_id text NOT NULL,
        accepted_at timestamptz NOT NULL
      )`);
    await runner.query(
      `CREATE INDEX github_webhook_bodies_by_age ON gateway.github_webhook_bodies (accepted_at)`,
    );
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`DROP TABLE gateway.github_webhook_bodies`);
  }
}
