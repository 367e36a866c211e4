import type { EntityManager } from 'typeorm';
import type { Envelope } from '#libs/contracts/src/index.js';
import {
  evolveIntegration,
  evolveRule,
  integrationIdOf,
  ruleIdOf,
  type IntegrationRow,
  type RowChange,
  type RuleRow,
} from './read-models.js';
import {
  deleteRows,
  loadBatchRows,
  loadIntegrations,
  loadRules,
  saveIntegrations,
  saveRules,
  writeBatchRows,
} from './row-sql.js';

export const INTEGRATION_EVENTS_PROJECTION = 'gateway-integration-events';

type Event = Envelope<string, unknown>;

/**
 * Applies a batch of INTEGRATION_EVENTS events to `gateway.integrations` and `gateway.rules` in
 * a constant number of statements: load every row the batch touches, fold the events through
 * the pure `evolve*` functions in order, write the rows that changed and delete the deleted ones.
 */
export async function applyIntegrationEvents(tx: EntityManager, events: Event[]): Promise<void> {
  const integrationIds = new Set<string>();
  const ruleIds = new Set<string>();
  for (const event of events) {
    if (event.type.startsWith('Integration')) {
      const id = integrationIdOf(event);
      if (id) integrationIds.add(id);
    } else if (event.type.startsWith('Rule')) {
      const id = ruleIdOf(event);
      if (id) ruleIds.add(id);
    }
  }
  const integrations = await fold(
    events.filter((e) => e.type.startsWith('Integration')),
    integrationIds.size ? await loadIntegrations(tx, [...integrationIds]) : new Map(),
    integrationIdOf,
    evolveIntegration,
  );
  const rules = await fold(
    events.filter((e) => e.type.startsWith('Rule')),
    ruleIds.size ? await loadRules(tx, [...ruleIds]) : new Map(),
    ruleIdOf,
    evolveRule,
  );
  await saveIntegrations(tx, integrations.saved);
  await deleteRows(tx, 'gateway.integrations', integrations.deleted);
  await saveRules(tx, rules.saved);
  await deleteRows(tx, 'gateway.rules', rules.deleted);
}

async function fold<T extends IntegrationRow | RuleRow>(
  events: Event[],
  rows: Map<string, T>,
  idOf: (event: Event) => string | undefined,
  evolve: (row: T | undefined, event: Event) => RowChange<T>,
): Promise<{ saved: T[]; deleted: string[] }> {
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
 * The hot path of the same projection: one read of every row the batch touches, the pure fold,
 * then rows and checkpoint in one atomic statement. Two round trips per batch instead of a
 * transaction of six or more; only the leading replica writes, so no row locks are needed.
 */
export async function writeIntegrationEvents(
  db: Pick<EntityManager, 'query'>,
  events: Event[],
  checkpoint: { projection: string; position: string; streamSeq: number },
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
  const integrations = await fold(
    events.filter((e) => e.type.startsWith('Integration')),
    loaded.integrations,
    integrationIdOf,
    evolveIntegration,
  );
  const rules = await fold(
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
