import type { MigrationInterface, QueryRunner } from 'typeorm';
import { eventStoreSchemaSql } from '#libs/event-store/src/index.js';

/**
 * The gateway's own event log (workspaces, members, API keys), seeded with one event per
 * workspace, member and key that already exists, so the log describes the current state from
 * the start; and the audit log read model with its actor directory.
 */
export class AuditLog1764000018000 implements MigrationInterface {
  name = 'AuditLog1764000018000';

  async up(runner: QueryRunner): Promise<void> {
    for (const sql of eventStoreSchemaSql('gateway')) await runner.query(sql);
    await this.seedLog(runner);

    await runner.query(`
      CREATE TABLE gateway.audit_log (
        workspace_id text NOT NULL,
        sort_key text COLLATE "C" NOT NULL,
        event_id uuid NOT NULL,
        occurred_at timestamptz NOT NULL,
        resource_type text NOT NULL,
        resource_id text NOT NULL,
        action text NOT NULL,
        actor text NOT NULL,
        actor_type text NOT NULL,
        actor_key_id uuid,
        actor_label text,
        changes jsonb NOT NULL,
        cause_event_id uuid,
        cause jsonb,
        correlation_id text NOT NULL,
        PRIMARY KEY (workspace_id, sort_key)
      )`);
    await runner.query(`CREATE UNIQUE INDEX audit_log_event ON gateway.audit_log (event_id)`);
    await runner.query(
      `CREATE INDEX audit_log_resource ON gateway.audit_log (workspace_id, resource_type, resource_id, sort_key)`,
    );
    await runner.query(
      `CREATE INDEX audit_log_type ON gateway.audit_log (workspace_id, resource_type, sort_key)`,
    );
    await runner.query(
      `CREATE INDEX audit_log_actor ON gateway.audit_log (workspace_id, actor, sort_key)`,
    );
    await runner.query(
      `CREATE INDEX audit_log_action ON gateway.audit_log (workspace_id, action, sort_key)`,
    );
    await runner.query(
      `CREATE INDEX audit_log_cause ON gateway.audit_log (workspace_id, cause_event_id)
         WHERE cause_event_id IS NOT NULL`,
    );
    await runner.query(`CREATE INDEX audit_log_age ON gateway.audit_log (occurred_at)`);
    await runner.query(`
      CREATE TABLE gateway.audit_members (
        workspace_id text NOT NULL,
        member_id text NOT NULL,
        email text NOT NULL,
        PRIMARY KEY (workspace_id, member_id)
      )`);
    await runner.query(`
      CREATE TABLE gateway.audit_api_keys (
        workspace_id text NOT NULL,
        key_id uuid NOT NULL,
        member_id text NOT NULL,
        name text NOT NULL,
        hint text NOT NULL,
        PRIMARY KEY (workspace_id, key_id)
      )`);
  }

  /** Events for what exists already: created, added, issued (and revoked), by `migration`. */
  private async seedLog(runner: QueryRunner): Promise<void> {
    const metadata = (workspace: string) =>
      `jsonb_build_object('workspaceId', ${workspace}::text, 'correlationId', gen_random_uuid()::text,
         'causationId', null, 'actor', 'migration', 'actorKeyId', null)`;
    const insert = `INSERT INTO gateway.events (stream_id, stream_version, event_id, type,
        schema_version, data, metadata, occurred_at)`;
    await runner.query(`${insert}
      SELECT 'workspace-' || id, 1, gen_random_uuid(), 'WorkspaceCreated', 1,
        jsonb_build_object('workspaceId', id, 'name', name, 'createdAt', created_at),
        ${metadata('id')}, created_at
      FROM gateway.workspaces ORDER BY created_at, id`);
    await runner.query(`${insert}
      SELECT 'member-' || id, 1, gen_random_uuid(), 'MemberAdded', 1,
        jsonb_build_object('memberId', id, 'email', email, 'role', role, 'addedAt', created_at),
        ${metadata('workspace_id')}, created_at
      FROM gateway.members ORDER BY created_at, id`);
    await runner.query(`${insert}
      SELECT 'api-key-' || id, 1, gen_random_uuid(), 'ApiKeyIssued', 1,
        jsonb_build_object('keyId', id, 'memberId', member_id, 'name', name, 'hint', hint,
          'issuedAt', created_at),
        ${metadata('workspace_id')}, created_at
      FROM gateway.api_tokens ORDER BY created_at, id`);
    await runner.query(`${insert}
      SELECT 'api-key-' || id, 2, gen_random_uuid(), 'ApiKeyRevoked', 1,
        jsonb_build_object('keyId', id, 'memberId', member_id, 'name', name, 'hint', hint,
          'revokedAt', revoked_at),
        ${metadata('workspace_id')}, revoked_at
      FROM gateway.api_tokens WHERE revoked_at IS NOT NULL ORDER BY revoked_at, id`);
  }

  async down(runner: QueryRunner): Promise<void> {
    for (const table of ['audit_api_keys', 'audit_members', 'audit_log']) {
      await runner.query(`DROP TABLE gateway.${table}`);
    }
    await runner.query(`DROP TABLE gateway.event_publisher_checkpoints`);
    await runner.query(`DROP TABLE gateway.events`);
    await runner.query(`DROP FUNCTION gateway.events_are_append_only()`);
  }
}
