import type { UnitOfWork } from '#libs/event-store/src/index.js';
import { rules } from './rule.decider.js';
import type { RuleState } from './rule.state.js';

/**
 * After an integration was disconnected or deleted: each enabled rule and policy that needs the
 * provider (`dependents`, read by `dependentRules` after the integration's row was locked) gets
 * its own `RuleDisabled`, caused by the integration's event, written in the same statement.
 */
export async function disableDependentRules(
  uow: UnitOfWork,
  dependents: readonly RuleState[],
  cause: {
    provider: string;
    integrationId: string;
    causeEventId: string;
    reason: 'integration_disconnected' | 'integration_deleted';
  },
): Promise<string[]> {
  const disabled: string[] = [];
  for (const rule of dependents) {
    const decided = await uow.decide(rules, rule, { kind: 'disableForIntegration', ...cause });
    if (decided.ok && decided.events.length > 0) disabled.push(rule.id);
  }
  return disabled;
}
