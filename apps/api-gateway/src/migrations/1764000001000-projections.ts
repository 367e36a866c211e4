import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Read models projected from INTEGRATION_EVENTS, and the checkpoint of each projection: the last
 * log position it applied, written in the same transaction as the rows it changed.
 */
export class Projections1764000001000 implements MigrationInterface {
  name = 'Projections1764000001000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE gateway.projection_checkpoints (
        projection text PRIMARY KEY,
        position bigint NOT NULL DEFAULT 0,
        stream_seq bigint NOT NULL DEFAULT 0,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await runner.query(`
      CREATE TABLE gateway.integrations (
        id uuid PRIMARY KEY,
        workspace_id uuid NOT NULL,
        provider text NOT NULL,
        kind text NOT NULL,
        profile_name text NOT NULL,
        status text NOT NULL,
        config jsonb NOT NULL,
        settings jsonb NOT NULL,
        has_credentials boolean NOT NULL,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        connected_at timestamptz,
        disconnected_at timestamptz,
        version integer NOT NULL,
        position bigint NOT NULL
      )`);
    await runner.query(
      `CREATE INDEX integrations_workspace ON gateway.integrations (workspace_id, provider, created_at, id)`,
    );
    await runner.query(`
      CREATE TABLE gateway.rules (
        id uuid PRIMARY KEY,
        workspace_id uuid NOT NULL,
        name text NOT NULL,
        kind text NOT NULL,
        enforcement text,
        definition jsonb NOT NULL,
        providers text[] NOT NULL,
        enabled boolean NOT NULL,
        disabled_reason text,
        disabled_message text,
        disabled_by_event_id uuid,
        disabled_by_integration_id uuid,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        version integer NOT NULL,
        position bigint NOT NULL
      )`);
    await runner.query(
      `CREATE INDEX rules_workspace ON gateway.rules (workspace_id, created_at, id)`,
    );
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`DROP TABLE gateway.rules`);
    await runner.query(`DROP TABLE gateway.integrations`);
    await runner.query(`DROP TABLE gateway.projection_checkpoints`);
  }
}
