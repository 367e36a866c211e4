import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Workspaces, their members with a role, and API tokens stored as SHA-256 hashes only. */
export class Workspaces1764000000000 implements MigrationInterface {
  name = 'Workspaces1764000000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE gateway.workspaces (
        id uuid PRIMARY KEY,
        name text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await runner.query(`
      CREATE TABLE gateway.members (
        id uuid PRIMARY KEY,
        workspace_id uuid NOT NULL REFERENCES gateway.workspaces(id) ON DELETE CASCADE,
        email text NOT NULL,
        role text NOT NULL CHECK (role IN ('owner', 'admin', 'member', 'viewer')),
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await runner.query(
      `CREATE UNIQUE INDEX members_workspace_email ON gateway.members (workspace_id, lower(email))`,
    );
    await runner.query(`
      CREATE TABLE gateway.api_tokens (
        id uuid PRIMARY KEY,
        workspace_id uuid NOT NULL REFERENCES gateway.workspaces(id) ON DELETE CASCADE,
        member_id uuid NOT NULL REFERENCES gateway.members(id) ON DELETE CASCADE,
        name text NOT NULL,
        token_hash bytea NOT NULL UNIQUE,
        hint text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        revoked_at timestamptz
      )`);
    await runner.query(`CREATE INDEX api_tokens_workspace ON gateway.api_tokens (workspace_id)`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`DROP TABLE gateway.api_tokens`);
    await runner.query(`DROP TABLE gateway.members`);
    await runner.query(`DROP TABLE gateway.workspaces`);
  }
}
