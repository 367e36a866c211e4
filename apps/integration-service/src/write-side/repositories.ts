import { createHash } from 'node:crypto';
import type { IntegrationView, RuleView } from '#libs/contracts/src/index.js';
import { sql, type Queryable, type Sql } from '#libs/event-store/src/index.js';

/**
 * The lookups the write side makes in its state tables (`integrations`, `rules`), as statements
 * a command batches into one round trip (`UnitOfWork.read`). Selectors answer `id`, `snapshot`,
 * `snapshot_schema` for `UnitOfWork.loadWhere`. The tables are kept in step with the log by the
 * decider kit and can always be rebuilt by replay.
 */

/**
 * The integration `/api` means by a provider name: the workspace's connected one, else its
 * oldest; without any, the name-based id of `generation` (the same for concurrent first
 * connects, so they collide on the stream and one of them wins). `lock` holds the row until
 * the command commits (a disconnect, so rules enabled meanwhile wait and see it).
 */
export function integrationByProvider(
  workspaceId: string,
  provider: string,
  lock: boolean,
  generation = 0,
): Sql {
  const fallback = nameBasedUuid(`${workspaceId}:${provider}:${generation}`);
  return lock
    ? sql`SELECT coalesce(t.id, ${fallback}::uuid) AS id, t.snapshot, t.snapshot_schema
        FROM (SELECT 1) one LEFT JOIN (
          SELECT id, snapshot, snapshot_schema FROM integration.integrations
          WHERE workspace_id = ${workspaceId} AND provider = ${provider}
          ORDER BY (status = 'connected') DESC, created_at, id LIMIT 1 FOR UPDATE) t ON true`
    : sql`SELECT coalesce(t.id, ${fallback}::uuid) AS id, t.snapshot, t.snapshot_schema
        FROM (SELECT 1) one LEFT JOIN (
          SELECT id, snapshot, snapshot_schema FROM integration.integrations
          WHERE workspace_id = ${workspaceId} AND provider = ${provider}
          ORDER BY (status = 'connected') DESC, created_at, id LIMIT 1) t ON true`;
}

/** One integration by id, its row locked until the command commits. */
export function integrationForUpdate(id: string): Sql {
  return sql`SELECT ${id}::uuid AS id, t.snapshot, t.snapshot_schema FROM (SELECT 1) one
    LEFT JOIN (SELECT id, snapshot, snapshot_schema FROM integration.integrations
      WHERE id = ${id}::uuid FOR UPDATE) t ON true`;
}

/**
 * Enabled rules and policies that need `provider`, unless another integration of it than the
 * one being disconnected (`integrationId`, or the one `integrationByProvider` picks) is still
 * connected in the workspace.
 */
export function dependentRules(
  workspaceId: string,
  provider: string,
  integrationId: string | null,
): Sql {
  return sql`SELECT id, snapshot, snapshot_schema FROM integration.rules
    WHERE workspace_id = ${workspaceId} AND enabled AND ${provider} = ANY(providers)
      AND NOT EXISTS (SELECT 1 FROM integration.integrations other
        WHERE other.workspace_id = ${workspaceId} AND other.provider = ${provider}
          AND other.status = 'connected'
          AND other.id <> coalesce(${integrationId}::uuid, (
            SELECT id FROM integration.integrations
            WHERE workspace_id = ${workspaceId} AND provider = ${provider}
            ORDER BY (status = 'connected') DESC, created_at, id LIMIT 1)))
    ORDER BY created_at, id`;
}

/**
 * Providers among `providers` with a connected integration in the workspace. `FOR SHARE` makes
 * a concurrent disconnect wait for this transaction (or this one see its result), so a rule can
 * never end up enabled while a provider it needs is disconnected.
 */
export function connectedProviders(workspaceId: string, providers: readonly string[]): Sql {
  return sql`SELECT provider FROM integration.integrations
    WHERE workspace_id = ${workspaceId} AND provider = ANY(${[...providers]}::text[])
      AND status = 'connected' FOR SHARE`;
}

/**
 * What a hard delete of `integrationId` orphans: the workspace's rules and policies that name
 * its provider, none while another integration of that provider is still connected.
 */
export function orphanedTargets(workspaceId: string, provider: string, integrationId: string): Sql {
  return sql`SELECT CASE WHEN EXISTS (SELECT 1 FROM integration.integrations
        WHERE workspace_id = ${workspaceId} AND provider = ${provider} AND status = 'connected'
          AND id <> ${integrationId}::uuid)
      THEN 0
      ELSE (SELECT count(*)::int FROM integration.rules
        WHERE workspace_id = ${workspaceId} AND ${provider} = ANY(providers)) END AS n`;
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
