/* eslint-disable @typescript-eslint/no-explicit-any -- pg rows are untyped; mapped field by field here */
import type { EntityManager } from 'typeorm';
import type { IntegrationRow, RuleRow } from './read-models.js';

type Tx = Pick<EntityManager, 'query'>;
const iso = (v: unknown) =>
  v === null || v === undefined ? null : new Date(v as string).toISOString();

/** Reading and writing the read-model rows; the projection decides what to write (read-models.ts). */
export async function loadIntegration(tx: Tx, id: string): Promise<IntegrationRow | undefined> {
  const rows = await tx.query(`SELECT * FROM gateway.integrations WHERE id = $1 FOR UPDATE`, [id]);
  return rows[0] ? integrationFromDb(rows[0]) : undefined;
}

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

export async function saveIntegration(tx: Tx, row: IntegrationRow): Promise<void> {
  await tx.query(
    `INSERT INTO gateway.integrations (id, workspace_id, provider, kind, profile_name, status,
       config, settings, has_credentials, created_at, updated_at, connected_at, disconnected_at,
       version, position)
     VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15)
     ON CONFLICT (id) DO UPDATE SET workspace_id = EXCLUDED.workspace_id,
       provider = EXCLUDED.provider, kind = EXCLUDED.kind, profile_name = EXCLUDED.profile_name,
       status = EXCLUDED.status, config = EXCLUDED.config, settings = EXCLUDED.settings,
       has_credentials = EXCLUDED.has_credentials, created_at = EXCLUDED.created_at,
       updated_at = EXCLUDED.updated_at, connected_at = EXCLUDED.connected_at,
       disconnected_at = EXCLUDED.disconnected_at, version = EXCLUDED.version,
       position = EXCLUDED.position`,
    [
      row.id,
      row.workspaceId,
      row.provider,
      row.kind,
      row.profileName,
      row.status,
      JSON.stringify(row.config),
      JSON.stringify(row.settings),
      row.hasCredentials,
      row.createdAt,
      row.updatedAt,
      row.connectedAt,
      row.disconnectedAt,
      row.version,
      row.position,
    ],
  );
}

export async function loadRule(tx: Tx, id: string): Promise<RuleRow | undefined> {
  const rows = await tx.query(`SELECT * FROM gateway.rules WHERE id = $1 FOR UPDATE`, [id]);
  return rows[0] ? ruleFromDb(rows[0]) : undefined;
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

export async function saveRule(tx: Tx, row: RuleRow): Promise<void> {
  await tx.query(
    `INSERT INTO gateway.rules (id, workspace_id, name, kind, enforcement, definition, providers,
       enabled, disabled_reason, disabled_message, disabled_by_event_id,
       disabled_by_integration_id, created_at, updated_at, version, position)
     VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16)
     ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, kind = EXCLUDED.kind,
       enforcement = EXCLUDED.enforcement, definition = EXCLUDED.definition,
       providers = EXCLUDED.providers, enabled = EXCLUDED.enabled,
       disabled_reason = EXCLUDED.disabled_reason, disabled_message = EXCLUDED.disabled_message,
       disabled_by_event_id = EXCLUDED.disabled_by_event_id,
       disabled_by_integration_id = EXCLUDED.disabled_by_integration_id,
       updated_at = EXCLUDED.updated_at, version = EXCLUDED.version, position = EXCLUDED.position`,
    [
      row.id,
      row.workspaceId,
      row.name,
      row.kind,
      row.enforcement,
      JSON.stringify(row.definition),
      row.providers,
      row.enabled,
      row.disabledReason,
      row.disabledMessage,
      row.disabledByEventId,
      row.disabledByIntegrationId,
      row.createdAt,
      row.updatedAt,
      row.version,
      row.position,
    ],
  );
}
