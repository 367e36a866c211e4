import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Which workspace holds each GitHub installation (one at a time), and which installations each
 * workspace's install flow verified. Installations connected before this existed are held by
 * the workspace that connected them first.
 */
export class GithubInstallationHolds1764100002000 implements MigrationInterface {
  name = 'GithubInstallationHolds1764100002000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`CREATE TABLE integration.github_installation_holds (
      installation_id text PRIMARY KEY,
      workspace_id text NOT NULL,
      integration_id uuid NOT NULL,
      held_since timestamptz NOT NULL
    )`);
    await runner.query(`CREATE TABLE integration.github_install_verifications (
      workspace_id text NOT NULL,
      installation_id text NOT NULL,
      member_id text,
      verified_at timestamptz NOT NULL,
      PRIMARY KEY (workspace_id, installation_id)
    )`);
    await runner.query(`INSERT INTO integration.github_installation_holds
        (installation_id, workspace_id, integration_id, held_since)
      SELECT DISTINCT ON (view->'config'->>'installationId')
        view->'config'->>'installationId', workspace_id, id, created_at
      FROM integration.integrations
      WHERE provider = 'github' AND status = 'connected'
        AND view->'config'->>'installationId' IS NOT NULL
      ORDER BY view->'config'->>'installationId', created_at
      ON CONFLICT DO NOTHING`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`DROP TABLE integration.github_install_verifications`);
    await runner.query(`DROP TABLE integration.github_installation_holds`);
  }
}
