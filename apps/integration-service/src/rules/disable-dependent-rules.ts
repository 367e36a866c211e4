import type { Queryable } from '#libs/event-store/src/index.js';
import { ruleStreamId } from '#libs/contracts/src/index.js';
import type { UnitOfWork } from '../write-side/unit-of-work.js';
import { loadRule, saveRule } from '../write-side/repositories.js';
import { decideRule } from './decide.js';
import { evolveRule } from './evolve.js';

/**
 * After an integration was disconnected or deleted (its state row already updated in this
 * transaction, which holds its lock): every enabled rule and policy that needs the provider gets
 * its own `RuleDisabled`, caused by the integration's event. Nothing happens while another
 * integration of the same provider is still connected in the workspace.
 */
export async function disableDependentRules(
  uow: UnitOfWork,
  cause: {
    provider: string;
    integrationId: string;
    causeEventId: string;
    reason: 'integration_disconnected' | 'integration_deleted';
  },
): Promise<string[]> {
  if (
    await providerStillConnected(uow.client, uow.workspaceId, cause.provider, cause.integrationId)
  ) {
    return [];
  }
  const { rows } = await uow.client.query<{ id: string }>(
    `SELECT id FROM integration.rules
     WHERE workspace_id = $1 AND enabled AND $2 = ANY(providers) ORDER BY created_at, id`,
    [uow.workspaceId, cause.provider],
  );
  const disabled: string[] = [];
  for (const { id } of rows) {
    const rule = await loadRule(uow.store, uow.client, id);
    const decision = decideRule(rule, { kind: 'disableForIntegration', ...cause }, uow.now);
    if (!decision.ok || decision.events.length === 0) continue;
    const stored = await uow.append(
      ruleStreamId(id),
      rule.version,
      decision.events.map((e) => ({ ...e, causationId: cause.causeEventId })),
    );
    await saveRule(uow.client, stored.reduce(evolveRule, rule));
    disabled.push(id);
  }
  return disabled;
}

export async function providerStillConnected(
  on: Queryable,
  workspaceId: string,
  provider: string,
  exceptIntegrationId: string,
): Promise<boolean> {
  const { rows } = await on.query(
    `SELECT 1 FROM integration.integrations
     WHERE workspace_id = $1 AND provider = $2 AND status = 'connected' AND id <> $3 LIMIT 1`,
    [workspaceId, provider, exceptIntegrationId],
  );
  return rows.length > 0;
}
