import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Since when a rule has been enabled without a break: a schedule catching up after a restart
 * fires only due times after it (never those from before the rule existed or while disabled).
 */
export class RuleActivity1764200001000 implements MigrationInterface {
  name = 'RuleActivity1764200001000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(
      'ALTER TABLE rules.rules ADD COLUMN active_since timestamptz NOT NULL DEFAULT now()',
    );
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('ALTER TABLE rules.rules DROP COLUMN active_since');
  }
}
