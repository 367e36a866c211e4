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
import { deleteRows, loadIntegrations, loadRules, saveIntegrations, saveRules } from './row-sql.js';

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
