import type { DataSource } from 'typeorm';
import type { AuditFilter, AuditPage } from './audit-query.js';
import { encodeAuditCursor } from './audit-query.js';

/** A resource an entry is about, with where its history is when it has one over HTTP. */
export interface ResourceRef {
  type: string;
  id: string;
  history?: string;
}

/** One audit entry as the API shows it. */
export interface AuditEntryView {
  id: string;
  action: string;
  occurredAt: string;
  resource: ResourceRef;
  actor:
    | {
        type: 'member';
        id: string;
        email: string | null;
        apiKey: { id: string; name: string | null; hint: string | null } | null;
      }
    | { type: 'system'; name: string; description: string };
  changes: Record<string, unknown>;
  /** What caused this change: another entry (with a link), or something outside the log. */
  cause:
    | { id: string; action: string; occurredAt: string; resource: ResourceRef }
    | Record<string, unknown>
    | null;
  /** Changes this one caused, e.g. the rules a disconnect disabled. */
  effects: { id: string; action: string; resource: ResourceRef }[];
  correlationId: string;
}

export interface AuditPageResult {
  entries: AuditEntryView[];
  /** The sort key of each entry shown, in the same order (what cursors are made of). */
  keys: string[];
  lastKey: string | null;
  hasMore: boolean;
}

interface Row {
  event_id: string;
  sort_key: string;
  occurred_at: Date;
  resource_type: string;
  resource_id: string;
  action: string;
  actor: string;
  actor_type: 'member' | 'system';
  actor_label: string | null;
  actor_key_id: string | null;
  changes: Record<string, unknown>;
  cause: Record<string, unknown> | null;
  correlation_id: string;
  actor_email: string | null;
  key_name: string | null;
  key_hint: string | null;
  cause_id: string | null;
  cause_action: string | null;
  cause_occurred_at: Date | null;
  cause_resource_type: string | null;
  cause_resource_id: string | null;
}

/** Where a resource's history is read over HTTP, if it has one. */
export function resourceRef(type: string, id: string): ResourceRef {
  if (type === 'integration') return { type, id, history: `/api/integrations/${id}/history` };
  if (type === 'rule' || type === 'policy')
    return { type, id, history: `/api/rules/${id}/history` };
  return { type, id };
}

/**
 * Pages of `gateway.audit_log` for one workspace, in keyset order (`sort_key`): a page starts
 * after the last key the previous one showed, so entries added meanwhile never shift a page,
 * and a deep page costs what the first one does. Actors are shown from the directory the
 * projection keeps (removed members and revoked keys included).
 */
export class AuditLogReader {
  constructor(private readonly dataSource: DataSource) {}

  async page(workspaceId: string, filter: AuditFilter, page: AuditPage): Promise<AuditPageResult> {
    const params: unknown[] = [workspaceId];
    const param = (value: unknown) => `$${params.push(value)}`;
    const where = ['a.workspace_id = $1'];
    if (filter.resourceTypes) where.push(`a.resource_type = ANY(${param(filter.resourceTypes)})`);
    if (filter.resourceId) where.push(`a.resource_id = ${param(filter.resourceId)}`);
    if (filter.actor) where.push(`a.actor = ${param(filter.actor)}`);
    if (filter.action) where.push(`a.action = ${param(filter.action)}`);
    if (filter.fromKey) where.push(`a.sort_key >= ${param(filter.fromKey)}`);
    if (filter.toKey) where.push(`a.sort_key < ${param(filter.toKey)}`);
    const desc = page.order === 'desc';
    if (page.after) where.push(`a.sort_key ${desc ? '<' : '>'} ${param(page.after)}`);
    const rows: Row[] = await this.dataSource.query(
      `SELECT a.event_id, a.sort_key, a.occurred_at, a.resource_type, a.resource_id, a.action,
         a.actor, a.actor_type, a.actor_label, a.actor_key_id, a.changes, a.cause,
         a.correlation_id, m.email AS actor_email, k.name AS key_name, k.hint AS key_hint,
         c.event_id AS cause_id, c.action AS cause_action, c.occurred_at AS cause_occurred_at,
         c.resource_type AS cause_resource_type, c.resource_id AS cause_resource_id
       FROM (SELECT * FROM gateway.audit_log a WHERE ${where.join(' AND ')}
             ORDER BY a.sort_key ${desc ? 'DESC' : 'ASC'} LIMIT ${param(page.limit + 1)}) a
       LEFT JOIN gateway.audit_members m
         ON a.actor_type = 'member' AND m.workspace_id = a.workspace_id AND m.member_id = a.actor
       LEFT JOIN gateway.audit_api_keys k
         ON k.workspace_id = a.workspace_id AND k.key_id = a.actor_key_id
       LEFT JOIN gateway.audit_log c
         ON c.workspace_id = a.workspace_id AND c.event_id = a.cause_event_id
       ORDER BY a.sort_key ${desc ? 'DESC' : 'ASC'}`,
      params,
    );
    const hasMore = rows.length > page.limit;
    const shown = rows.slice(0, page.limit);
    const effects = await this.effectsOf(
      workspaceId,
      shown.map((r) => r.event_id),
    );
    return {
      entries: shown.map((row) => toView(row, effects.get(row.event_id) ?? [])),
      keys: shown.map((row) => row.sort_key),
      lastKey: shown.at(-1)?.sort_key ?? null,
      hasMore,
    };
  }

  /** Whether the workspace's log has anything about this resource (else: 404 for it). */
  async knows(workspaceId: string, types: string[], resourceId: string): Promise<boolean> {
    const rows = await this.dataSource.query(
      `SELECT 1 FROM gateway.audit_log
        WHERE workspace_id = $1 AND resource_type = ANY($2) AND resource_id = $3 LIMIT 1`,
      [workspaceId, types, resourceId],
    );
    return rows.length > 0;
  }

  private async effectsOf(
    workspaceId: string,
    eventIds: string[],
  ): Promise<Map<string, AuditEntryView['effects']>> {
    const byCause = new Map<string, AuditEntryView['effects']>();
    if (eventIds.length === 0) return byCause;
    const rows: {
      cause_event_id: string;
      event_id: string;
      action: string;
      resource_type: string;
      resource_id: string;
    }[] = await this.dataSource.query(
      `SELECT cause_event_id, event_id, action, resource_type, resource_id FROM gateway.audit_log
        WHERE workspace_id = $1 AND cause_event_id = ANY($2::uuid[]) ORDER BY sort_key`,
      [workspaceId, eventIds],
    );
    for (const row of rows) {
      const list = byCause.get(row.cause_event_id) ?? [];
      list.push({
        id: row.event_id,
        action: row.action,
        resource: resourceRef(row.resource_type, row.resource_id),
      });
      byCause.set(row.cause_event_id, list);
    }
    return byCause;
  }
}

function toView(row: Row, effects: AuditEntryView['effects']): AuditEntryView {
  return {
    id: row.event_id,
    action: row.action,
    occurredAt: row.occurred_at.toISOString(),
    resource: resourceRef(row.resource_type, row.resource_id),
    actor:
      row.actor_type === 'member'
        ? {
            type: 'member',
            id: row.actor,
            email: row.actor_email,
            apiKey: row.actor_key_id
              ? { id: row.actor_key_id, name: row.key_name, hint: row.key_hint }
              : null,
          }
        : { type: 'system', name: row.actor, description: row.actor_label ?? row.actor },
    changes: row.changes,
    cause: row.cause_id
      ? {
          id: row.cause_id,
          action: row.cause_action!,
          occurredAt: row.cause_occurred_at!.toISOString(),
          resource: resourceRef(row.cause_resource_type!, row.cause_resource_id!),
        }
      : row.cause,
    effects,
    correlationId: row.correlation_id,
  };
}

/** The cursor of the page after this one, or null on the last page. */
export function nextCursorOf(result: AuditPageResult): string | null {
  return result.hasMore && result.lastKey ? encodeAuditCursor(result.lastKey) : null;
}
