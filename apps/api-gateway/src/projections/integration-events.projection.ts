import type { EntityManager } from 'typeorm';
import type { Envelope } from '#libs/contracts/src/index.js';
import {
  evolveIntegration,
  evolveRule,
  integrationIdOf,
  ruleIdOf,
  type RowChange,
} from './read-models.js';
import { loadIntegration, loadRule, saveIntegration, saveRule } from './row-sql.js';

export const INTEGRATION_EVENTS_PROJECTION = 'gateway-integration-events';

/** Applies one INTEGRATION_EVENTS event to `gateway.integrations` or `gateway.rules`. */
export async function applyIntegrationEvent(
  tx: EntityManager,
  event: Envelope<string, unknown>,
): Promise<void> {
  if (event.type.startsWith('Integration')) {
    const id = integrationIdOf(event);
    if (!id) return;
    const change = evolveIntegration(await loadIntegration(tx, id), event);
    await write(
      change,
      (row) => saveIntegration(tx, row),
      (rid) => tx.query(`DELETE FROM gateway.integrations WHERE id = $1`, [rid]),
    );
  } else if (event.type.startsWith('Rule')) {
    const id = ruleIdOf(event);
    if (!id) return;
    const change = evolveRule(await loadRule(tx, id), event);
    await write(
      change,
      (row) => saveRule(tx, row),
      (rid) => tx.query(`DELETE FROM gateway.rules WHERE id = $1`, [rid]),
    );
  }
}

async function write<T>(
  change: RowChange<T>,
  upsert: (row: T) => Promise<unknown>,
  remove: (id: string) => Promise<unknown>,
): Promise<void> {
  if (!change) return;
  if ('upsert' in change) await upsert(change.upsert);
  else await remove(change.delete);
}
