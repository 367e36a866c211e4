import {
  RuleEventTypes,
  RuleSubjects,
  Streams,
  type RuleCreatedData,
  type RuleDefinition,
  type RuleEnabledData,
  type RuleKind,
} from '#libs/contracts/src/index.js';
import {
  writeWithCheckpoint,
  type Db,
  type Event,
  type Projection,
} from '#libs/projections/src/index.js';

/**
 * Also the name of the durable consumer the engine read rule events with before the projection
 * runner: the runner replaces that consumer (same name) with its own, so a deployed system keeps
 * no orphaned consumer and dead letters parked under this name still replay into the catalog.
 */
export const RULE_CATALOG_PROJECTION = 'rules-engine-rule-events';

const RULE_EVENT_TYPES = new Set<string>(Object.values(RuleEventTypes));

/** A row of `rules.rules` as the projection folds it (timestamps as ISO strings). */
export interface CatalogRow {
  id: string;
  workspace_id: string;
  name: string;
  kind: RuleKind;
  enabled: boolean;
  deleted: boolean;
  trigger_event: string;
  definition: RuleDefinition;
  /** The rule's stream version of the last event applied to it. */
  version: number;
  active_since: string;
  updated_at: string;
}

const COLUMNS = [
  'workspace_id',
  'name',
  'kind',
  'enabled',
  'deleted',
  'trigger_event',
  'definition',
  'version',
  'active_since',
  'updated_at',
] as const satisfies ReadonlyArray<Exclude<keyof CatalogRow, 'id'>>;

const ruleIdOf = (event: Event): string | undefined => {
  const ruleId = (event.data as { ruleId?: unknown } | null)?.ruleId;
  return typeof ruleId === 'string' && ruleId ? ruleId : undefined;
};

/**
 * The row after one rule event, or undefined when the event changes nothing: a create of a rule
 * the catalog has, or any event at or below the rule's version (applied already, so replaying
 * the stream from its start gives the same rows). An enable, disable or delete of a rule the
 * catalog never saw created changes nothing either.
 */
export function evolveCatalogRow(
  row: CatalogRow | undefined,
  event: Event,
): CatalogRow | undefined {
  const version = event.streamVersion ?? 0;
  if (row && version <= row.version) return undefined;
  const at = event.occurredAt;
  switch (event.type) {
    case RuleEventTypes.created: {
      if (row || !event.workspaceId) return undefined;
      const d = event.data as RuleCreatedData;
      return {
        id: d.ruleId,
        workspace_id: event.workspaceId,
        name: d.name,
        kind: d.kind,
        // Created disabled (a provider not connected, or asked so): kept, not run.
        enabled: d.enabled,
        deleted: false,
        trigger_event: d.definition.trigger.event,
        definition: d.definition,
        version,
        active_since: d.createdAt,
        updated_at: at,
      };
    }
    case RuleEventTypes.enabled: {
      if (!row) return undefined;
      const enabledAt = (event.data as Partial<RuleEnabledData>).enabledAt ?? at;
      return { ...row, enabled: true, version, active_since: enabledAt, updated_at: at };
    }
    // By hand or by a disconnect: either way it stops running until enabled again.
    case RuleEventTypes.disabled:
      return row ? { ...row, enabled: false, version, updated_at: at } : undefined;
    case RuleEventTypes.deleted:
      return row ? { ...row, deleted: true, enabled: false, version, updated_at: at } : undefined;
    default:
      return undefined;
  }
}

/** The rows a batch of rule events changes, folded in order from the rows as stored. */
export function foldCatalog(stored: Map<string, CatalogRow>, events: Event[]): CatalogRow[] {
  const current = new Map(stored);
  const changed = new Set<string>();
  for (const event of events) {
    const ruleId = ruleIdOf(event);
    if (!ruleId) continue;
    const next = evolveCatalogRow(current.get(ruleId), event);
    if (!next) continue;
    current.set(ruleId, next);
    changed.add(ruleId);
  }
  return [...changed].map((id) => current.get(id)!);
}

const iso = (v: unknown) => new Date(v as string).toISOString();

async function loadRows(db: Db, ruleIds: string[]): Promise<Map<string, CatalogRow>> {
  if (ruleIds.length === 0) return new Map();
  const rows: Record<string, unknown>[] = await db.query(
    `SELECT id, ${COLUMNS.join(', ')} FROM rules.rules WHERE id = ANY($1::uuid[])`,
    [ruleIds],
  );
  return new Map(
    rows.map((r) => [
      r.id as string,
      {
        ...(r as unknown as CatalogRow),
        active_since: iso(r.active_since),
        updated_at: iso(r.updated_at),
      },
    ]),
  );
}

/** The upsert of a batch's changed rows; the version guard keeps a row from going back. */
const UPSERT = `rows AS (
  INSERT INTO rules.rules (id, ${COLUMNS.join(', ')})
  SELECT id, ${COLUMNS.join(', ')} FROM jsonb_populate_recordset(NULL::rules.rules, $1::jsonb)
  ON CONFLICT (id) DO UPDATE SET ${COLUMNS.map((c) => `${c} = EXCLUDED.${c}`).join(', ')}
  WHERE rules.rules.version < EXCLUDED.version
  RETURNING 1)`;

/**
 * The rules the engine runs (`rules.rules`), from the integration service's rule events:
 * created, enabled, disabled (by hand or by a disconnect), deleted. A batch is one read of the
 * rules it names, the fold through `evolveCatalogRow` in order, then the changed rows and the
 * checkpoint in one statement. Each event applies once per rule version, so a redelivery, a
 * republish or a replay from the stream's start changes nothing.
 */
export const ruleCatalogProjection: Projection = {
  name: RULE_CATALOG_PROJECTION,
  stream: Streams.integrationEvents.name,
  subject: `${RuleSubjects.events}.>`,
  canHandle: (event) =>
    RULE_EVENT_TYPES.has(event.type) && !!event.workspaceId && !!ruleIdOf(event),
  checkpointInApply: true,
  async apply(db, events, checkpoint) {
    const ruleIds = [...new Set(events.flatMap((e) => ruleIdOf(e) ?? []))];
    const changed = foldCatalog(await loadRows(db, ruleIds), events);
    await writeWithCheckpoint(
      db,
      'rules',
      changed.length > 0
        ? { ctes: [UPSERT], values: [JSON.stringify(changed)] }
        : { ctes: [], values: [] },
      checkpoint,
    );
  },
};
