import type { MigrationInterface, QueryRunner } from 'typeorm';
import { eventStoreSchemaSql } from '#libs/event-store/src/index.js';

/**
 * The event log, plus the write side's own state: current integrations and rules (kept in the
 * same transaction as each append, rebuildable from the log), wrapped data keys, and the replies
 * of commands sent with an idempotency key.
 */
export class WriteSide1764100000000 implements MigrationInterface {
  name = 'WriteSide1764100000000';

  async up(runner: QueryRunner): Promise<void> {
    for (const sql of eventStoreSchemaSql('integration')) await runner.query(sql);
    await runner.query(`CREATE TABLE integration.integrations (
      id uuid PRIMARY KEY,
      workspace_id text NOT NULL,
      provider text NOT NULL,
      status text NOT NULL,
      view jsonb NOT NULL,
      version integer NOT NULL,
      created_at timestamptz NOT NULL
    )`);
    await runner.query(
      'CREATE INDEX integrations_by_provider ON integration.integrations (workspace_id, provider, created_at)',
    );
    await runner.query(`CREATE TABLE integration.rules (
      id uuid PRIMARY KEY,
      workspace_id text NOT NULL,
      providers text[] NOT NULL,
      enabled boolean NOT NULL,
      view jsonb NOT NULL,
      version integer NOT NULL,
      created_at timestamptz NOT NULL
    )`);
    await runner.query(
      'CREATE INDEX rules_by_workspace ON integration.rules (workspace_id, created_at)',
    );
    await runner.query(`CREATE TABLE integration.data_keys (
      integration_id uuid PRIMARY KEY,
      wrapped_key bytea NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now()
    )`);
    await runner.query(`CREATE TABLE integration.idempotency_keys (
      workspace_id text NOT NULL,
      key text NOT NULL,
      command text NOT NULL,
      request_hash text NOT NULL,
      reply jsonb NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (workspace_id, key)
    )`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('DROP SCHEMA integration CASCADE');
    await runner.query('CREATE SCHEMA integration');
  }
}
