import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Rules get what integrations have: a snapshot of the folded state beside the row, written in
 * the same statement as every append, so a load reads the row and only the events after it.
 * Existing rows start without one and are folded from their whole stream until their next write.
 */
export class RuleSnapshots1764100002500 implements MigrationInterface {
  name = 'RuleSnapshots1764100002500';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`ALTER TABLE integration.rules
      ADD COLUMN snapshot jsonb, ADD COLUMN snapshot_schema integer`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`ALTER TABLE integration.rules
      DROP COLUMN snapshot, DROP COLUMN snapshot_schema`);
  }
}
