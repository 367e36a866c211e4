import type { EntityManager } from 'typeorm';
import { Streams, type Envelope } from '#libs/contracts/src/index.js';
import type { CheckpointRow, Projection } from '#libs/projections/src/index.js';
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

/**
 * Applies a batch of INTEGRATION_EVENTS events to `gateway.integrations` and `gateway.rules`: one
 * read of every row the batch touches, the pure fold through `evolve*` in order, then rows and
 * checkpoint in one atomic statement. Two round trips per batch instead of a
 * transaction of six or more; only the leading replica writes, so no row locks are needed.
 */
export async function writeIntegrationEvents(
  db: Pick<EntityManager, 'query'>,
  events: Event[],
  checkpoint: CheckpointRow,
): Promise<void> {
  const integrationIds = new Set<string>();
  const ruleIds = new Set<string>();
  for (const event of events) {
    const id = event.type.startsWith('Integration') ? integrationIdOf(event) : ruleIdOf(event);
    if (!id) continue;
    (event.type.startsWith('Integration') ? integrationIds : ruleIds).add(id);
  }
  const loaded =
    integrationIds.size + ruleIds.size > 0
      ? await loadBatchRows(db, [...integrationIds], [...ruleIds])
      : { integrations: new Map<string, IntegrationRow>(), rules: new Map<string, RuleRow>() };
  const integrations = fold(
    events.filter((e) => e.type.startsWith('Integration')),
    loaded.integrations,
    integrationIdOf,
    evolveIntegration,
  );
  const rules = fold(
    events.filter((e) => e.type.startsWith('Rule')),
    loaded.rules,
    ruleIdOf,
    evolveRule,
  );
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
}

/** `gateway.integrations` and `gateway.rules`, from every integration and rule event. */
export const integrationEventsProjection: Projection = {
  name: INTEGRATION_EVENTS_PROJECTION,
  stream: Streams.integrationEvents.name,
  canHandle: (event) => event.type.startsWith('Integration') || event.type.startsWith('Rule'),
  apply: writeIntegrationEvents,
  checkpointInApply: true,
};
