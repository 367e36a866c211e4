import {
  fail,
  RuleEventTypes as T,
  type RuleCreatedData,
  type RuleEvent,
  type RuleDefinition,
  type RuleDisabledData,
  type RuleEnabledData,
} from '#libs/contracts/src/index.js';
import { emit, type Decision } from '#libs/event-store/src/index.js';
import type { RuleState } from './rule.state.js';

export type RuleCommand =
  | {
      kind: 'create';
      definition: RuleDefinition;
      providers: string[];
      enabled: boolean;
      missingProviders: string[];
    }
  /** `missingProviders`: providers the rule needs that have no connected integration now. */
  | { kind: 'enable'; missingProviders: string[] }
  | { kind: 'disable'; reason: string | null }
  | {
      kind: 'disableForIntegration';
      reason: 'integration_disconnected' | 'integration_deleted';
      provider: string;
      integrationId: string;
      causeEventId: string;
    }
  | { kind: 'delete' };

/** What a command does to a rule. Pure. */
export function decideRule(
  command: RuleCommand,
  state: RuleState,
  now: string,
): Decision<RuleEvent> {
  if (command.kind === 'create') {
    if (state.exists) return fail('conflict', 'rule_exists', `rule ${state.id} exists`);
    const missing = command.missingProviders;
    const enabled = command.enabled && missing.length === 0;
    const data: RuleCreatedData = {
      ruleId: state.id,
      name: command.definition.name,
      kind: command.definition.kind,
      enforcement: command.definition.enforcement ?? null,
      definition: command.definition,
      providers: command.providers,
      enabled,
      disabledReason: enabled
        ? null
        : missing.length > 0
          ? `provider ${missing.join(', ')} is not connected`
          : 'created disabled',
      createdAt: now,
    };
    return emit({ type: T.created, data });
  }
  if (!state.exists || state.deleted) {
    return fail('not_found', 'rule_not_found', `rule ${state.id} does not exist`);
  }
  switch (command.kind) {
    case 'enable': {
      if (command.missingProviders.length > 0) {
        const names = command.missingProviders.join(', ');
        return fail(
          'conflict',
          'provider_not_connected',
          `cannot enable ${state.kind} "${state.name}": provider ${names} is not connected`,
          { providers: command.missingProviders },
        );
      }
      if (state.enabled) return emit();
      const data: RuleEnabledData = { ruleId: state.id, enabledAt: now };
      return emit({ type: T.enabled, data });
    }
    case 'disable': {
      if (!state.enabled) return emit();
      const data: RuleDisabledData = {
        ruleId: state.id,
        reason: 'manual',
        message: command.reason ?? 'disabled by hand',
        provider: null,
        integrationId: null,
        causeEventId: null,
        disabledAt: now,
      };
      return emit({ type: T.disabled, data });
    }
    case 'disableForIntegration': {
      if (!state.enabled) return emit();
      const verb = command.reason === 'integration_deleted' ? 'deleted' : 'disconnected';
      const data: RuleDisabledData = {
        ruleId: state.id,
        reason: command.reason,
        message: `the ${command.provider} integration it depends on was ${verb}`,
        provider: command.provider,
        integrationId: command.integrationId,
        causeEventId: command.causeEventId,
        disabledAt: now,
      };
      return emit({ type: T.disabled, data, causationId: command.causeEventId });
    }
    case 'delete':
      return emit({ type: T.deleted, data: { ruleId: state.id, deletedAt: now } });
  }
}
