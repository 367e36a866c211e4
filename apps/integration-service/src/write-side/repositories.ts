import { createHash } from 'node:crypto';
import {
  integrationStreamId,
  ruleStreamId,
  type IntegrationView,
  type RuleView,
} from '#libs/contracts/src/index.js';
import type { EventStore, Queryable, StoredEvent } from '#libs/event-store/src/index.js';
import { evolveIntegration } from '../integrations/evolve.js';
import {
  initialIntegration,
  toIntegrationView,
  type IntegrationState,
} from '../integrations/integration.state.js';
import { evolveRule } from '../rules/evolve.js';
import { initialRule, toRuleView, type RuleState } from '../rules/rule.state.js';

/**
 * Loading aggregates from their streams and keeping the write side's state tables
 * (`integrations`, `rules`) in step, in the same transaction as the append. The tables answer
 * lookups (by provider, dependent rules) and queries; they can always be rebuilt by replay.
 */
export const foldIntegration = (id: string, events: readonly StoredEvent[]) =>
  events.reduce(evolveIntegration, initialIntegration(id));

export const foldRule = (id: string, events: readonly StoredEvent[]) =>
  events.reduce(evolveRule, initialRule(id));

/**
 * Bumped whenever `IntegrationState` changes shape: older snapshots are then ignored and the
 * stream is folded from its start (and the next write stores a current snapshot).
 */
export const INTEGRATION_SNAPSHOT_SCHEMA = 1;

interface SnapshotRow {
  snapshot: IntegrationState | null;
  snapshot_schema: number | null;
}

/** An integration's state: its snapshot, if current, then the events appended after it. */
export async function loadIntegration(
  store: EventStore,
  on: Queryable,
  id: string,
): Promise<IntegrationState> {
  const { rows } = await on.query<SnapshotRow>(
    'SELECT snapshot, snapshot_schema FROM integration.integrations WHERE id = $1',
    [id],
  );
  return loadFrom(store, on, id, rows[0]);
}

async function loadFrom(
  store: EventStore,
  on: Queryable,
  id: string,
  row: SnapshotRow | undefined,
): Promise<IntegrationState> {
  const snapshot =
    row?.snapshot && row.snapshot_schema === INTEGRATION_SNAPSHOT_SCHEMA ? row.snapshot : undefined;
  const events = await store.readStream(integrationStreamId(id), on, snapshot?.version ?? 0);
  return events.reduce(evolveIntegration, snapshot ?? initialIntegration(id));
}

export async function loadRule(store: EventStore, on: Queryable, id: string): Promise<RuleState> {
  return foldRule(id, await store.readStream(ruleStreamId(id), on));
}

export async function saveIntegration(on: Queryable, state: IntegrationState): Promise<void> {
  if (state.deleted) {
    await on.query('DELETE FROM integration.integrations WHERE id = $1', [state.id]);
    return;
  }
  await on.query(
    `INSERT INTO integration.integrations
       (id, workspace_id, provider, status, view, version, created_at, snapshot, snapshot_schema)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
     ON CONFLICT (id) DO UPDATE SET status = EXCLUDED.status, view = EXCLUDED.view,
       version = EXCLUDED.version, snapshot = EXCLUDED.snapshot,
       snapshot_schema = EXCLUDED.snapshot_schema`,
    [
      state.id,
      state.workspaceId,
      state.provider,
      state.status,
      JSON.stringify(toIntegrationView(state)),
      state.version,
      state.createdAt,
      JSON.stringify(state),
      INTEGRATION_SNAPSHOT_SCHEMA,
    ],
  );
}

export async function saveRule(on: Queryable, state: RuleState): Promise<void> {
  if (state.deleted) {
    await on.query('DELETE FROM integration.rules WHERE id = $1', [state.id]);
    return;
  }
  await on.query(
    `INSERT INTO integration.rules (id, workspace_id, providers, enabled, view, version, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7)
     ON CONFLICT (id) DO UPDATE SET enabled = EXCLUDED.enabled, view = EXCLUDED.view,
       version = EXCLUDED.version`,
    [
      state.id,
      state.workspaceId,
      state.providers,
      state.enabled,
      JSON.stringify(toRuleView(state)),
      state.version,
      state.createdAt,
    ],
  );
}

/**
 * Providers among `providers` with no connected integration in the workspace. `FOR SHARE` makes
 * a concurrent disconnect wait for this transaction (or this one see its result), so a rule can
 * never end up enabled while a provider it needs is disconnected.
 */
export async function missingProviders(
  on: Queryable,
  workspaceId: string,
  providers: readonly string[],
): Promise<string[]> {
  const { rows } = await on.query<{ provider: string }>(
    `SELECT provider FROM integration.integrations
     WHERE workspace_id = $1 AND provider = ANY($2) AND status = 'connected' FOR SHARE`,
    [workspaceId, providers],
  );
  const connected = new Set(rows.map((r) => r.provider));
  return providers.filter((p) => !connected.has(p));
}

/**
 * The integration `/api` means by a provider name: the workspace's connected one, else its
 * oldest. Without any, a name-based id (the same for concurrent first connects, so they collide
 * on the stream and one of them wins), skipping ids of integrations deleted before.
 */
export async function integrationForProvider(
  store: EventStore,
  on: Queryable,
  workspaceId: string,
  provider: string,
): Promise<IntegrationState> {
  const { rows } = await on.query<SnapshotRow & { id: string }>(
    `SELECT id, snapshot, snapshot_schema FROM integration.integrations
     WHERE workspace_id = $1 AND provider = $2
     ORDER BY (status = 'connected') DESC, created_at, id LIMIT 1`,
    [workspaceId, provider],
  );
  if (rows[0]) return loadFrom(store, on, rows[0].id, rows[0]);
  for (let generation = 0; ; generation++) {
    const state = await loadIntegration(
      store,
      on,
      nameBasedUuid(`${workspaceId}:${provider}:${generation}`),
    );
    if (!state.deleted) return state;
  }
}

/** The workspace's connected integration of a provider (its oldest, when there are several). */
export async function connectedIntegrationOf(
  on: Queryable,
  workspaceId: string,
  provider: string,
): Promise<IntegrationView | undefined> {
  const { rows } = await on.query<{ view: IntegrationView }>(
    `SELECT view FROM integration.integrations
     WHERE workspace_id = $1 AND provider = $2 AND status = 'connected' ORDER BY created_at, id LIMIT 1`,
    [workspaceId, provider],
  );
  return rows[0]?.view;
}

export async function readIntegrationView(
  on: Queryable,
  workspaceId: string,
  id: string,
): Promise<IntegrationView | undefined> {
  const { rows } = await on.query<{ view: IntegrationView }>(
    'SELECT view FROM integration.integrations WHERE workspace_id = $1 AND id = $2',
    [workspaceId, id],
  );
  return rows[0]?.view;
}

export async function readRuleView(
  on: Queryable,
  workspaceId: string,
  id: string,
): Promise<RuleView | undefined> {
  const { rows } = await on.query<{ view: RuleView }>(
    'SELECT view FROM integration.rules WHERE workspace_id = $1 AND id = $2',
    [workspaceId, id],
  );
  return rows[0]?.view;
}

const NAMESPACE = Buffer.from('6f1c2a4e9b3d4f0a8c7e5d2b1a0f9e8d', 'hex');

/** RFC 4122 version-5 UUID of `name` in this service's namespace. */
export function nameBasedUuid(name: string): string {
  const hash = createHash('sha1').update(NAMESPACE).update(name).digest();
  hash[6] = (hash[6]! & 0x0f) | 0x50;
  hash[8] = (hash[8]! & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
