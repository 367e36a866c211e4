import type { IntegrationEvent } from '#libs/contracts/src/index.js';
import { sql, type Aggregate } from '#libs/event-store/src/index.js';
import { decideIntegration, integrationSchemaVersions, type IntegrationCommand } from './decide.js';
import { evolveIntegration } from './evolve.js';
import {
  initialIntegration,
  toIntegrationView,
  type IntegrationState,
} from './integration.state.js';

/**
 * Integrations as the decider kit runs them: stream `integration-<id>`, and a row in
 * `integration.integrations` (lookups by provider, queries, and the snapshot loads start from)
 * written in the same statement as every append. A deleted integration loses its row; its
 * stream stays and folds to `deleted`.
 */
export const integrations: Aggregate<IntegrationState, IntegrationCommand, IntegrationEvent> = {
  streamPrefix: 'integration-',
  stateTable: 'integration.integrations',
  // Bumped whenever `IntegrationState` changes shape.
  snapshotSchema: 1,
  schemaVersions: integrationSchemaVersions,
  initialState: initialIntegration,
  decide: decideIntegration,
  evolve: evolveIntegration,
  stateRow: (state) =>
    state.deleted
      ? sql`DELETE FROM integration.integrations WHERE id = ${state.id}::uuid`
      : sql`INSERT INTO integration.integrations
          (id, workspace_id, provider, status, view, version, created_at, snapshot, snapshot_schema)
        VALUES (${state.id}::uuid, ${state.workspaceId}, ${state.provider}, ${state.status},
          ${JSON.stringify(toIntegrationView(state))}::jsonb, ${state.version}::int,
          ${state.createdAt}::timestamptz, ${JSON.stringify(state)}::jsonb, 1)
        ON CONFLICT (id) DO UPDATE SET status = EXCLUDED.status, view = EXCLUDED.view,
          version = EXCLUDED.version, snapshot = EXCLUDED.snapshot,
          snapshot_schema = EXCLUDED.snapshot_schema`,
};
