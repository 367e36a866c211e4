import type { RuleEvent } from '#libs/contracts/src/index.js';
import { sql, type Aggregate } from '#libs/event-store/src/index.js';
import { decideRule, type RuleCommand } from './decide.js';
import { evolveRule } from './evolve.js';
import { initialRule, toRuleView, type RuleState } from './rule.state.js';

/**
 * Rules and policies as the decider kit runs them: stream `rule-<id>`, and a row in
 * `integration.rules` (lookups by provider, queries, and the snapshot loads start from) written
 * in the same statement as every append.
 */
export const rules: Aggregate<RuleState, RuleCommand, RuleEvent> = {
  streamPrefix: 'rule-',
  stateTable: 'integration.rules',
  // Bumped whenever `RuleState` changes shape.
  snapshotSchema: 1,
  initialState: initialRule,
  decide: decideRule,
  evolve: evolveRule,
  stateRow: (state) =>
    state.deleted
      ? sql`DELETE FROM integration.rules WHERE id = ${state.id}::uuid`
      : sql`INSERT INTO integration.rules
          (id, workspace_id, providers, enabled, view, version, created_at, snapshot, snapshot_schema)
        VALUES (${state.id}::uuid, ${state.workspaceId}, ${state.providers}::text[],
          ${state.enabled}::boolean, ${JSON.stringify(toRuleView(state))}::jsonb,
          ${state.version}::int, ${state.createdAt}::timestamptz, ${JSON.stringify(state)}::jsonb, 1)
        ON CONFLICT (id) DO UPDATE SET enabled = EXCLUDED.enabled, view = EXCLUDED.view,
          version = EXCLUDED.version, snapshot = EXCLUDED.snapshot,
          snapshot_schema = EXCLUDED.snapshot_schema`,
};
