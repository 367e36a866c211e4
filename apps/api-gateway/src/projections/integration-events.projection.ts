import { Streams, type Envelope } from '#libs/contracts/src/index.js';
import {
  LeaderRows,
  type CheckpointRow,
  type Db,
  type Projection,
} from '#libs/projections/src/index.js';
import {
  evolveIntegration,
  evolveRule,
  integrationIdOf,
  ruleIdOf,
  type IntegrationRow,
  type RowChange,
  type RuleRow,
} from './read-models.js';
import { loadBatchRows, writeBatchRows } from './row-sql.js';

export const INTEGRATION_EVENTS_PROJECTION = 'gateway-integration-events';

type Event = Envelope<string, unknown>;

function fold<T extends IntegrationRow | RuleRow>(
  events: Event[],
  rows: Map<string, T>,
  idOf: (event: Event) => string | undefined,
  evolve: (row: T | undefined, event: Event) => RowChange<T>,
): { saved: T[]; deleted: string[] } {
  const current = new Map<string, T | null>(rows);
  const dirty = new Set<string>();
  for (const event of events) {
    const id = idOf(event);
    if (!id) continue;
    const change = evolve(current.get(id) ?? undefined, event);
    if (!change) continue;
    if ('upsert' in change) current.set(id, change.upsert);
    else current.set(id, null);
    dirty.add(id);
  }
  const saved: T[] = [];
  const deleted: string[] = [];
  for (const id of dirty) {
    const row = current.get(id);
    if (row) saved.push(row);
    else if (rows.has(id)) deleted.push(id);
  }
  return { saved, deleted };
}

/** What a lead remembers of `gateway.integrations` and `gateway.rules` between batches. */
export interface RememberedRows {
  integrations: LeaderRows<IntegrationRow>;
  rules: LeaderRows<RuleRow>;
}

/**
 * Applies a batch of INTEGRATION_EVENTS events to `gateway.integrations` and `gateway.rules`: one
 * read of the rows the batch touches that the lead does not remember (none, once it knows them:
 * see `LeaderRows`), the pure fold through `evolve*` in order, then rows and checkpoint in one
 * atomic statement. Only the leading replica writes, so no row locks are needed.
 */
export async function writeIntegrationEvents(
  db: Db,
  events: Event[],
  checkpoint: CheckpointRow,
  remembered: RememberedRows,
): Promise<void> {
  const integrationEvents = events.filter((e) => e.type.startsWith('Integration'));
  const ruleEvents = events.filter((e) => e.type.startsWith('Rule'));
  const integrationRows = remembered.integrations.recall(
    db,
    integrationEvents.flatMap((e) => integrationIdOf(e) ?? []),
  );
  const ruleRows = remembered.rules.recall(
    db,
    ruleEvents.flatMap((e) => ruleIdOf(e) ?? []),
  );
  if (integrationRows.missing.length + ruleRows.missing.length > 0) {
    const loaded = await loadBatchRows(db, integrationRows.missing, ruleRows.missing);
    remembered.integrations.learn(integrationRows, loaded.integrations);
    remembered.rules.learn(ruleRows, loaded.rules);
  }
  const integrations = fold(
    integrationEvents,
    integrationRows.rows,
    integrationIdOf,
    evolveIntegration,
  );
  const rules = fold(ruleEvents, ruleRows.rows, ruleIdOf, evolveRule);
  await writeBatchRows(
    db,
    {
      integrations: integrations.saved,
      deletedIntegrations: integrations.deleted,
      rules: rules.saved,
      deletedRules: rules.deleted,
    },
    checkpoint,
  );
  const byId = <T extends { id: string }>(rows: T[]) =>
    rows.map((row): [string, T] => [row.id, row]);
  remembered.integrations.wrote(db, byId(integrations.saved), integrations.deleted);
  remembered.rules.wrote(db, byId(rules.saved), rules.deleted);
}

/** `gateway.integrations` and `gateway.rules`, from every integration and rule event. */
export function integrationEventsProjection(): Projection {
  const remembered: RememberedRows = { integrations: new LeaderRows(), rules: new LeaderRows() };
  return {
    name: INTEGRATION_EVENTS_PROJECTION,
    stream: Streams.integrationEvents.name,
    canHandle: (event) => event.type.startsWith('Integration') || event.type.startsWith('Rule'),
    apply: (db, events, checkpoint) => writeIntegrationEvents(db, events, checkpoint, remembered),
    checkpointInApply: true,
  };
}
