import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The checkpoints of the engine's projections (`libs/projections`): the rule catalog is kept by
 * the projection runner, which writes its rows and its checkpoint together. No checkpoint is
 * carried over from the durable consumer it replaces: the first leader replays the rule events
 * INTEGRATION_EVENTS still holds, and each applies once per rule version, so the rows stay as
 * they are.
 */
export class ProjectionCheckpoints1764200002000 implements MigrationInterface {
  name = 'ProjectionCheckpoints1764200002000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE rules.projection_checkpoints (
        projection text PRIMARY KEY,
        position bigint NOT NULL DEFAULT 0,
        stream_seq bigint NOT NULL DEFAULT 0,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`DROP TABLE rules.projection_checkpoints`);
  }
}
