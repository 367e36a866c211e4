import { Inject, Injectable } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { RuleEventTypes, Streams, type Envelope } from '#libs/contracts/src/index.js';
import { Projections, type Db, type Projection } from '#libs/projections/src/index.js';
import { DATA_SOURCE } from '#libs/service-kit/src/index.js';
import { INTEGRATION_READ_MODEL, ProjectionWaiter } from '../projections/index.js';
import {
  AUDITED_EVENT_TYPES,
  auditEntryOf,
  directoryChangeOf,
  type AuditEntry,
} from './audit-entry.js';

/** One projection per source stream, all into `gateway.audit_log`; each has its checkpoint. */
export const AUDIT_PROJECTIONS = {
  integrationEvents: 'gateway-audit-integration-events',
  workspaceEvents: 'gateway-audit-workspace-events',
  scannerEvents: 'gateway-audit-scanner-events',
} as const;

/**
 * Applies one event to the audit log: its entry (if it is a change a person would ask about) and
 * what it tells the actor directory. Idempotent: an event already recorded is left as it is.
 */
export async function applyAuditEvent(tx: Db, event: Envelope<string, unknown>): Promise<void> {
  const directory = directoryChangeOf(event);
  if (directory?.kind === 'member') {
    await tx.query(
      `INSERT INTO gateway.audit_members (workspace_id, member_id, email) VALUES ($1, $2, $3)
       ON CONFLICT (workspace_id, member_id) DO UPDATE SET email = EXCLUDED.email`,
      [directory.workspaceId, directory.memberId, directory.email],
    );
  } else if (directory?.kind === 'key') {
    await tx.query(
      `INSERT INTO gateway.audit_api_keys (workspace_id, key_id, member_id, name, hint)
       VALUES ($1, $2, $3, $4, $5) ON CONFLICT (workspace_id, key_id) DO NOTHING`,
      [directory.workspaceId, directory.keyId, directory.memberId, directory.name, directory.hint],
    );
  }
  const kind = await ruleKindFor(tx, event);
  const entry = auditEntryOf(event, () => kind);
  if (!entry) return;
  if (entry.actorType === 'system' && entry.causeEventId) {
    // A change a system actor caused by another (the rules an uninstall disabled) is described
    // as the cause's actor is: "GitHub uninstall delivery", not just "GitHub webhook delivery".
    const [cause] = await tx.query(
      `SELECT actor_label FROM gateway.audit_log
        WHERE workspace_id = $1 AND event_id = $2 AND actor = $3`,
      [entry.workspaceId, entry.causeEventId, entry.actor],
    );
    if (cause?.actor_label) entry.actorLabel = cause.actor_label;
  }
  await insertEntries(tx, [entry]);
}

/** Only RuleCreated says whether a rule is a policy; later events find it in the log. */
async function ruleKindFor(tx: Db, event: Envelope<string, unknown>): Promise<'rule' | 'policy'> {
  const ruleId = (event.data as { ruleId?: unknown } | null)?.ruleId;
  const later: string[] = [RuleEventTypes.enabled, RuleEventTypes.disabled, RuleEventTypes.deleted];
  if (!later.includes(event.type)) return 'rule';
  if (typeof ruleId !== 'string' || !event.workspaceId) return 'rule';
  const rows: { resource_type: string }[] = await tx.query(
    `SELECT resource_type FROM gateway.audit_log
      WHERE workspace_id = $1 AND resource_type IN ('rule', 'policy') AND resource_id = $2 LIMIT 1`,
    [event.workspaceId, ruleId],
  );
  return rows[0]?.resource_type === 'policy' ? 'policy' : 'rule';
}

/** Inserts entries in one statement; an entry already there (same event) is kept. */
export async function insertEntries(db: Db, entries: AuditEntry[]): Promise<void> {
  await db.query(
    `INSERT INTO gateway.audit_log (workspace_id, sort_key, event_id, occurred_at, resource_type,
       resource_id, action, actor, actor_type, actor_key_id, actor_label, changes, cause_event_id,
       cause, correlation_id)
     SELECT x.workspace_id, x.sort_key, x.event_id, x.occurred_at, x.resource_type, x.resource_id,
       x.action, x.actor, x.actor_type, x.actor_key_id, x.actor_label, x.changes, x.cause_event_id,
       x.cause, x.correlation_id
     FROM jsonb_to_recordset($1::jsonb) AS x(workspace_id text, sort_key text, event_id uuid,
       occurred_at timestamptz, resource_type text, resource_id text, action text, actor text,
       actor_type text, actor_key_id uuid, actor_label text, changes jsonb, cause_event_id uuid,
       cause jsonb, correlation_id text)
     ON CONFLICT DO NOTHING`,
    [
      JSON.stringify(
        entries.map((e) => ({
          workspace_id: e.workspaceId,
          sort_key: e.sortKey,
          event_id: e.eventId,
          occurred_at: e.occurredAt,
          resource_type: e.resourceType,
          resource_id: e.resourceId,
          action: e.action,
          actor: e.actor,
          actor_type: e.actorType,
          actor_key_id: e.actorKeyId,
          actor_label: e.actorLabel,
          changes: e.changes,
          cause_event_id: e.causeEventId,
          cause: e.cause,
          correlation_id: e.correlationId,
        })),
      ),
    ],
  );
}

/** The audit log from one stream: every event that makes an entry (and names an actor). */
function auditProjection(name: string, stream: string) {
  return {
    name,
    stream,
    canHandle: (event: Envelope<string, unknown>) => AUDITED_EVENT_TYPES.has(event.type),
    async apply(tx: Db, events: Envelope<string, unknown>[]) {
      for (const event of events) await applyAuditEvent(tx, event);
    },
  } satisfies Projection;
}

export const auditProjections = [
  auditProjection(AUDIT_PROJECTIONS.integrationEvents, Streams.integrationEvents.name),
  auditProjection(AUDIT_PROJECTIONS.workspaceEvents, Streams.workspaceEvents.name),
  auditProjection(AUDIT_PROJECTIONS.scannerEvents, Streams.scannerEvents.name),
];

/**
 * The audit log, projected from the three streams that carry changes: the integration service's
 * events (integrations, rules, policies), the gateway's own (workspace, members, keys) and the
 * scanner's (scans started). Reads wait (bounded) until the log has caught up with what this
 * replica already shows elsewhere, so a change is in the audit log by the time its answer is.
 */
@Injectable()
export class AuditProjection {
  readonly integrationWaiter: ProjectionWaiter;
  readonly workspaceWaiter: ProjectionWaiter;

  constructor(
    @Inject(DATA_SOURCE) private readonly dataSource: DataSource,
    @Inject(Projections) projections: Projections,
    @Inject(INTEGRATION_READ_MODEL) private readonly integrations: ProjectionWaiter,
  ) {
    this.integrationWaiter = new ProjectionWaiter(dataSource, AUDIT_PROJECTIONS.integrationEvents);
    this.workspaceWaiter = new ProjectionWaiter(dataSource, AUDIT_PROJECTIONS.workspaceEvents);
    const [integrationEvents, workspaceEvents, scannerEvents] = auditProjections;
    projections.run(integrationEvents!, {
      onApplied: ({ checkpoint }) => this.integrationWaiter.applied(checkpoint.position),
    });
    projections.run(workspaceEvents!, {
      onApplied: ({ checkpoint }) => this.workspaceWaiter.applied(checkpoint.position),
    });
    projections.run(scannerEvents!);
  }

  /** Waits (at most `timeoutMs`) until the log shows every change this replica knows of. */
  async catchUp(timeoutMs: number): Promise<void> {
    const rows: { head: string }[] = await this.dataSource.query(
      `SELECT coalesce(max(position), 0)::text AS head FROM gateway.events`,
    );
    await Promise.all([
      this.integrationWaiter.waitFor(this.integrations.position.toString(), timeoutMs),
      this.workspaceWaiter.waitFor(rows[0]!.head, timeoutMs),
    ]);
  }
}
