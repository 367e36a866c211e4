import { Inject, Injectable } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { RuleEventTypes, Streams, type Envelope } from '#libs/contracts/src/index.js';
import {
  Projections,
  writeWithCheckpoint,
  type BatchWrites,
  type CheckpointRow,
  type Db,
  type Projection,
} from '#libs/projections/src/index.js';
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

type AuditEvent = Envelope<string, unknown>;
/** Rule events after RuleCreated: only RuleCreated says whether the rule is a policy. */
const LATER_RULE_EVENTS: ReadonlySet<string> = new Set([
  RuleEventTypes.enabled,
  RuleEventTypes.disabled,
  RuleEventTypes.deleted,
]);

/**
 * Applies a batch to the audit log: each event's entry (if it is a change a person would ask
 * about) and what it tells the actor directory, in one statement with the checkpoint. What an
 * entry takes from an earlier one (a rule's kind, a cause's actor label) comes from the batch
 * itself, else from one read of the log. Idempotent: an event already recorded is left as it is.
 */
export async function writeAuditBatch(
  db: Db,
  events: AuditEvent[],
  checkpoint: CheckpointRow,
): Promise<void> {
  const earlier = await earlierEntries(db, events);
  const entries: AuditEntry[] = [];
  for (const event of events) {
    const ws = event.workspaceId;
    const entry = auditEntryOf(event, (ruleId) =>
      LATER_RULE_EVENTS.has(event.type) ? (earlier.kinds.get(`${ws}:${ruleId}`) ?? 'rule') : 'rule',
    );
    if (!entry) continue;
    if (entry.actorType === 'system' && entry.causeEventId) {
      // A change a system actor caused by another (the rules an uninstall disabled) is described
      // as the cause's actor is: "GitHub uninstall delivery", not just "GitHub webhook delivery".
      const label = earlier.labels.get(`${ws}:${entry.causeEventId}:${entry.actor}`);
      if (label) entry.actorLabel = label;
    }
    if (entry.resourceType === 'rule' || entry.resourceType === 'policy') {
      const rule = `${ws}:${entry.resourceId}`;
      if (!earlier.kinds.has(rule)) earlier.kinds.set(rule, entry.resourceType);
    }
    if (entry.actorLabel)
      earlier.labels.set(`${ws}:${entry.eventId}:${entry.actor}`, entry.actorLabel);
    entries.push(entry);
  }
  await writeWithCheckpoint(db, 'gateway', auditWrites(events, entries), checkpoint);
}

/**
 * The rule kinds and cause labels a batch's entries need from entries of earlier batches, in one
 * read (none when the batch needs none, as for connects and disconnects).
 */
async function earlierEntries(
  db: Db,
  events: AuditEvent[],
): Promise<{ kinds: Map<string, 'rule' | 'policy'>; labels: Map<string, string> }> {
  const rules: Array<[string, string]> = [];
  const causes: Array<[string, string]> = [];
  for (const event of events) {
    const ruleId = (event.data as { ruleId?: unknown } | null)?.ruleId;
    if (LATER_RULE_EVENTS.has(event.type) && typeof ruleId === 'string' && event.workspaceId) {
      rules.push([event.workspaceId, ruleId]);
    }
    const entry = auditEntryOf(event);
    if (entry?.actorType === 'system' && entry.causeEventId) {
      causes.push([entry.workspaceId, entry.causeEventId]);
    }
  }
  const kinds = new Map<string, 'rule' | 'policy'>();
  const labels = new Map<string, string>();
  if (rules.length + causes.length === 0) return { kinds, labels };
  const rows: { what: string; key: string; value: string }[] = await db.query(
    `SELECT 'kind' AS what, a.workspace_id || ':' || a.resource_id AS key,
       min(a.resource_type) AS value
     FROM gateway.audit_log a JOIN unnest($1::text[], $2::text[]) AS r(workspace_id, rule_id)
       ON a.workspace_id = r.workspace_id AND a.resource_id = r.rule_id
     WHERE a.resource_type IN ('rule', 'policy')
     GROUP BY a.workspace_id, a.resource_id
     UNION ALL
     SELECT 'label', a.workspace_id || ':' || a.event_id || ':' || a.actor, a.actor_label
     FROM gateway.audit_log a JOIN unnest($3::text[], $4::uuid[]) AS c(workspace_id, event_id)
       ON a.workspace_id = c.workspace_id AND a.event_id = c.event_id
     WHERE a.actor_label IS NOT NULL`,
    [
      rules.map(([workspaceId]) => workspaceId),
      rules.map(([, ruleId]) => ruleId),
      causes.map(([workspaceId]) => workspaceId),
      causes.map(([, eventId]) => eventId),
    ],
  );
  for (const row of rows) {
    if (row.what === 'kind') kinds.set(row.key, row.value === 'policy' ? 'policy' : 'rule');
    else labels.set(row.key, row.value);
  }
  return { kinds, labels };
}

/** The batch's rows: the actor directory (members, keys) and the entries, as CTEs. */
function auditWrites(events: AuditEvent[], entries: AuditEntry[]): BatchWrites {
  const members = new Map<string, { workspace_id: string; member_id: string; email: string }>();
  const keys = new Map<string, Record<string, string>>();
  for (const event of events) {
    const directory = directoryChangeOf(event);
    if (directory?.kind === 'member') {
      // The last email wins, as one upsert per event would leave it.
      members.set(`${directory.workspaceId}:${directory.memberId}`, {
        workspace_id: directory.workspaceId,
        member_id: directory.memberId,
        email: directory.email,
      });
    } else if (
      directory?.kind === 'key' &&
      !keys.has(`${directory.workspaceId}:${directory.keyId}`)
    ) {
      keys.set(`${directory.workspaceId}:${directory.keyId}`, {
        workspace_id: directory.workspaceId,
        key_id: directory.keyId,
        member_id: directory.memberId,
        name: directory.name,
        hint: directory.hint,
      });
    }
  }
  const writes: BatchWrites = { ctes: [], values: [] };
  const add = (cte: (param: string) => string, rows: unknown[]) => {
    if (rows.length === 0) return;
    writes.values.push(JSON.stringify(rows));
    writes.ctes.push(cte(`$${writes.values.length}`));
  };
  add(
    (rows) => `members AS (INSERT INTO gateway.audit_members (workspace_id, member_id, email)
       SELECT x.workspace_id, x.member_id, x.email
       FROM jsonb_to_recordset(${rows}::jsonb) AS x(workspace_id text, member_id text, email text)
       ON CONFLICT (workspace_id, member_id) DO UPDATE SET email = EXCLUDED.email)`,
    [...members.values()],
  );
  add(
    (rows) => `keys AS (INSERT INTO gateway.audit_api_keys
         (workspace_id, key_id, member_id, name, hint)
       SELECT x.workspace_id, x.key_id, x.member_id, x.name, x.hint
       FROM jsonb_to_recordset(${rows}::jsonb)
         AS x(workspace_id text, key_id uuid, member_id text, name text, hint text)
       ON CONFLICT (workspace_id, key_id) DO NOTHING)`,
    [...keys.values()],
  );
  add((rows) => `entries AS (${insertEntriesSql(rows)})`, entries.map(entryRow));
  return writes;
}

/** Inserts entries in one statement; an entry already there (same event) is kept. */
export async function insertEntries(db: Db, entries: AuditEntry[]): Promise<void> {
  await db.query(insertEntriesSql('$1'), [JSON.stringify(entries.map(entryRow))]);
}

const insertEntriesSql = (rows: string) =>
  `INSERT INTO gateway.audit_log (workspace_id, sort_key, event_id, occurred_at, resource_type,
       resource_id, action, actor, actor_type, actor_key_id, actor_label, changes, cause_event_id,
       cause, correlation_id)
     SELECT x.workspace_id, x.sort_key, x.event_id, x.occurred_at, x.resource_type, x.resource_id,
       x.action, x.actor, x.actor_type, x.actor_key_id, x.actor_label, x.changes, x.cause_event_id,
       x.cause, x.correlation_id
     FROM jsonb_to_recordset(${rows}::jsonb) AS x(workspace_id text, sort_key text, event_id uuid,
       occurred_at timestamptz, resource_type text, resource_id text, action text, actor text,
       actor_type text, actor_key_id uuid, actor_label text, changes jsonb, cause_event_id uuid,
       cause jsonb, correlation_id text)
     ON CONFLICT DO NOTHING`;

const entryRow = (e: AuditEntry) => ({
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
});

/** The audit log from one stream: every event that makes an entry (and names an actor). */
function auditProjection(name: string, stream: string) {
  return {
    name,
    stream,
    canHandle: (event: AuditEvent) => AUDITED_EVENT_TYPES.has(event.type),
    apply: writeAuditBatch,
    checkpointInApply: true,
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
