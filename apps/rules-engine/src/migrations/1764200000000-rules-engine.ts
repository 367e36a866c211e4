import type { MigrationInterface, QueryRunner } from 'typeorm';
import { eventStoreSchemaSql } from '#libs/event-store/src/index.js';

/**
 * The engine's schema `rules`: its own event log (runs, actions, breakers), the rules it runs
 * (projected from the integration service's rule events), the runs as read back, breaker state,
 * and one claim per scheduled rule and due time.
 */
export class RulesEngine1764200000000 implements MigrationInterface {
  name = 'RulesEngine1764200000000';

  async up(runner: QueryRunner): Promise<void> {
    for (const sql of eventStoreSchemaSql('rules')) await runner.query(sql);
    await runner.query(`CREATE TABLE rules.rules (
      id uuid PRIMARY KEY,
      workspace_id text NOT NULL,
      name text NOT NULL,
      kind text NOT NULL,
      enabled boolean NOT NULL,
      deleted boolean NOT NULL DEFAULT false,
      trigger_event text NOT NULL,
      definition jsonb NOT NULL,
      version integer NOT NULL,
      updated_at timestamptz NOT NULL DEFAULT now()
    )`);
    await runner.query(
      'CREATE INDEX rules_enabled_by_workspace ON rules.rules (workspace_id) WHERE enabled AND NOT deleted',
    );
    await runner.query(
      "CREATE INDEX rules_timed ON rules.rules (trigger_event) WHERE enabled AND NOT deleted AND trigger_event IN ('schedule', 'poll')",
    );
    await runner.query(`CREATE TABLE rules.runs (
      id uuid PRIMARY KEY,
      rule_id uuid NOT NULL,
      workspace_id text NOT NULL,
      started_at timestamptz NOT NULL,
      outcome text,
      view jsonb NOT NULL,
      version integer NOT NULL
    )`);
    await runner.query(
      'CREATE INDEX runs_newest_first ON rules.runs (rule_id, started_at DESC, id)',
    );
    await runner.query(`CREATE TABLE rules.breakers (
      policy_id uuid PRIMARY KEY,
      state jsonb NOT NULL
    )`);
    await runner.query(`CREATE TABLE rules.schedule_claims (
      rule_id uuid NOT NULL,
      due_at timestamptz NOT NULL,
      claimed_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (rule_id, due_at)
    )`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('DROP SCHEMA rules CASCADE');
  }
}
