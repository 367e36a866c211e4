import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A workspace may connect several GitHub integrations (the Snyk REST API creates as many as it
 * is asked to): installations are kept per integration, not per workspace, so removing one
 * leaves the others connected. The projection runner's checkpoints live beside them.
 */
export class InstallationsPerIntegration1764100007000 implements MigrationInterface {
  name = 'InstallationsPerIntegration1764100007000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE scanner.projection_checkpoints (
        projection text PRIMARY KEY,
        position bigint NOT NULL DEFAULT 0,
        stream_seq bigint NOT NULL DEFAULT 0,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await runner.query(`ALTER TABLE scanner.installations DROP CONSTRAINT installations_pkey`);
    await runner.query(
      `UPDATE scanner.installations SET integration_id = 'workspace:' || workspace_id
       WHERE integration_id IS NULL`,
    );
    await runner.query(
      `ALTER TABLE scanner.installations ALTER COLUMN integration_id SET NOT NULL`,
    );
    await runner.query(`ALTER TABLE scanner.installations ADD PRIMARY KEY (integration_id)`);
    await runner.query(
      `CREATE INDEX installations_by_workspace ON scanner.installations (workspace_id, connected, updated_at)`,
    );
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`DROP INDEX scanner.installations_by_workspace`);
    await runner.query(`ALTER TABLE scanner.installations DROP CONSTRAINT installations_pkey`);
    await runner.query(
      `DELETE FROM scanner.installations a USING scanner.installations b
       WHERE a.workspace_id = b.workspace_id AND a.updated_at < b.updated_at`,
    );
    await runner.query(`ALTER TABLE scanner.installations ADD PRIMARY KEY (workspace_id)`);
    await runner.query(`DROP TABLE scanner.projection_checkpoints`);
  }
}
