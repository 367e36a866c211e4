import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Which workspace connected which GitHub App installation (webhook intake's map). */
export class GithubInstallations1764000006000 implements MigrationInterface {
  name = 'GithubInstallations1764000006000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE gateway.github_installations (
        installation_id bigint PRIMARY KEY,
        workspace_id text,
        integration_id text,
        stream_seq bigint NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`DROP TABLE gateway.github_installations`);
  }
}
