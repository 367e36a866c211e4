import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Answers to POSTs the gateway serves itself (members, API keys), by `Idempotency-Key`, so a
 * retried request answers the first answer instead of acting twice. Secrets are not kept here.
 */
export class Idempotency1764000010000 implements MigrationInterface {
  name = 'Idempotency1764000010000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE gateway.idempotency_keys (
        workspace_id uuid NOT NULL,
        key text NOT NULL,
        fingerprint text NOT NULL,
        status integer,
        body jsonb,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (workspace_id, key)
      )`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`DROP TABLE gateway.idempotency_keys`);
  }
}
