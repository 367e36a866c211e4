import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Each wrapped data key names the master key that wrapped it, so the master key can rotate:
 * keys wrapped before this column existed were wrapped by `CREDENTIALS_MASTER_KEY`, whose id in
 * a keyring is `primary`.
 */
export class DataKeyIds1764100004700 implements MigrationInterface {
  name = 'DataKeyIds1764100004700';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(
      `ALTER TABLE integration.data_keys ADD COLUMN key_id text NOT NULL DEFAULT 'primary'`,
    );
    await runner.query(`ALTER TABLE integration.data_keys ALTER COLUMN key_id DROP DEFAULT`);
    await runner.query(`CREATE INDEX data_keys_by_key_id ON integration.data_keys (key_id)`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`ALTER TABLE integration.data_keys DROP COLUMN key_id`);
  }
}
