import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A snapshot of each integration's folded state beside its row, written in the same transaction
 * as every append, so a load reads only the events after it. Existing rows start without one
 * and are folded from their whole stream until their next write.
 */
export class IntegrationSnapshots1764100001000 implements MigrationInterface {
  name = 'IntegrationSnapshots1764100001000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`ALTER TABLE integration.integrations
      ADD COLUMN snapshot jsonb, ADD COLUMN snapshot_schema integer`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`ALTER TABLE integration.integrations
      DROP COLUMN snapshot, DROP COLUMN snapshot_schema`);
  }
}
