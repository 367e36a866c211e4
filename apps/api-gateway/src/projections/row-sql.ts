/* eslint-disable @typescript-eslint/no-explicit-any -- pg rows are untyped; mapped field by field here */
import type { EntityManager } from 'typeorm';
import { writeWithCheckpoint, type CheckpointRow } from '#libs/projections/src/index.js';
import type { IntegrationRow, RuleRow } from './read-models.js';

type Tx = Pick<EntityManager, 'query'>;
const iso = (v: unknown) =>
  v === null || v === undefined ? null : new Date(v as string).toISOString();

/** Reading and writing read-model rows in bulk; what to write is decided in read-models.ts. */
const byId = <T>(rows: Record<string, any>[], fromDb: (r: Record<string, any>) => T) =>
  new Map<string, T>(rows.map((r) => [r.id, fromDb(r)]));

export function integrationFromDb(r: Record<string, any>): IntegrationRow {
  return {
    id: r.id,
    workspaceId: r.workspace_id,
    provider: r.provider,
    kind: r.kind,
    profileName: r.profile_name,
    status: r.status,
    config: r.config,
    settings: r.settings,
    hasCredentials: r.has_credentials,
    createdAt: iso(r.created_at)!,
    updatedAt: iso(r.updated_at)!,
    connectedAt: iso(r.connected_at),
    disconnectedAt: iso(r.disconnected_at),
    version: r.version,
    position: String(r.position),
  };
}

export function ruleFromDb(r: Record<string, any>): RuleRow {
  return {
    id: r.id,
    workspaceId: r.workspace_id,
    name: r.name,
    kind: r.kind,
    enforcement: r.enforcement,
    definition: r.definition,
    providers: r.providers,
    enabled: r.enabled,
    disabledReason: r.disabled_reason,
    disabledMessage: r.disabled_message,
    disabledByEventId: r.disabled_by_event_id,
    disabledByIntegrationId: r.disabled_by_integration_id,
    createdAt: iso(r.created_at)!,
    updatedAt: iso(r.updated_at)!,
    version: r.version,
    position: String(r.position),
  };
}

/** Each column of `gateway.integrations` besides `id`, and the row field it holds. */
const INTEGRATION_FIELDS = {
  workspace_id: 'workspaceId',
  provider: 'provider',
  kind: 'kind',
  profile_name: 'profileName',
  status: 'status',
  config: 'config',
  settings: 'settings',
  has_credentials: 'hasCredentials',
  created_at: 'createdAt',
  updated_at: 'updatedAt',
  connected_at: 'connectedAt',
  disconnected_at: 'disconnectedAt',
  version: 'version',
  position: 'position',
} as const satisfies Record<string, keyof IntegrationRow>;

/** Each column of `gateway.rules` besides `id`, and the row field it holds. */
const RULE_FIELDS = {
  workspace_id: 'workspaceId',
  name: 'name',
  kind: 'kind',
  enforcement: 'enforcement',
  definition: 'definition',
  providers: 'providers',
  enabled: 'enabled',
  disabled_reason: 'disabledReason',
  disabled_message: 'disabledMessage',
  disabled_by_event_id: 'disabledByEventId',
  disabled_by_integration_id: 'disabledByIntegrationId',
  created_at: 'createdAt',
  updated_at: 'updatedAt',
  version: 'version',
  position: 'position',
} as const satisfies Record<string, keyof RuleRow>;

const INTEGRATION_COLUMNS = Object.keys(INTEGRATION_FIELDS);
const RULE_COLUMNS = Object.keys(RULE_FIELDS);

/** A row as the table's columns (`id` first, then the columns in the order above). */
function toDb<T extends { id: string }>(row: T, fields: Record<string, keyof T>) {
  const columns = Object.entries(fields).map(([column, field]) => [column, row[field]]);
  return Object.fromEntries([['id', row.id], ...columns]);
}

const integrationToDb = (row: IntegrationRow) => toDb(row, INTEGRATION_FIELDS);
const ruleToDb = (row: RuleRow) => toDb(row, RULE_FIELDS);

const upsertSql = (table: string, columns: string[], param: string) => {
  const all = ['id', ...columns].join(', ');
  return `INSERT INTO ${table} (${all})
     SELECT ${all} FROM jsonb_populate_recordset(NULL::${table}, ${param}::jsonb)
     ON CONFLICT (id) DO UPDATE SET ${columns.map((c) => `${c} = EXCLUDED.${c}`).join(', ')}`;
};

/** Both tables' rows of a batch, in one read. */
export async function loadBatchRows(
  db: Tx,
  integrationIds: string[],
  ruleIds: string[],
): Promise<{ integrations: Map<string, IntegrationRow>; rules: Map<string, RuleRow> }> {
  const [row] = await db.query(
    `SELECT (SELECT coalesce(json_agg(i), '[]') FROM gateway.integrations i
              WHERE i.id = ANY($1::uuid[])) AS integrations,
            (SELECT coalesce(json_agg(r), '[]') FROM gateway.rules r
              WHERE r.id = ANY($2::uuid[])) AS rules`,
    [integrationIds, ruleIds],
  );
  return {
    integrations: byId(row.integrations, integrationFromDb),
    rules: byId(row.rules, ruleFromDb),
  };
}

/**
 * Every row change of a batch and the projection's checkpoint in ONE statement (see
 * `writeWithCheckpoint`): atomic without an explicit transaction, one round trip to Postgres.
 */
export async function writeBatchRows(
  db: Tx,
  changes: {
    integrations: IntegrationRow[];
    deletedIntegrations: string[];
    rules: RuleRow[];
    deletedRules: string[];
  },
  checkpoint: CheckpointRow,
): Promise<void> {
  await writeWithCheckpoint(
    db,
    'gateway',
    {
      ctes: [
        `ui AS (${upsertSql('gateway.integrations', INTEGRATION_COLUMNS, '$1')} RETURNING 1)`,
        `di AS (DELETE FROM gateway.integrations WHERE id = ANY($2::uuid[]) RETURNING 1)`,
        `ur AS (${upsertSql('gateway.rules', RULE_COLUMNS, '$3')} RETURNING 1)`,
        `dr AS (DELETE FROM gateway.rules WHERE id = ANY($4::uuid[]) RETURNING 1)`,
      ],
      values: [
        JSON.stringify(changes.integrations.map(integrationToDb)),
        changes.deletedIntegrations,
        JSON.stringify(changes.rules.map(ruleToDb)),
        changes.deletedRules,
      ],
    },
    checkpoint,
  );
}
