import {
  RuleEventTypes as T,
  type ReplyError,
  type RuleCreatedData,
  type RuleDefinition,
  type RuleDisabledData,
  type RuleEnabledData,
} from '#libs/contracts/src/index.js';
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

export interface PendingRuleEvent {
  type: string;
  schemaVersion: number;
  data: unknown;
}

export type RuleDecision =
  { ok: true; events: PendingRuleEvent[] } | { ok: false; error: ReplyError };

const emit = (type: string, data: unknown): RuleDecision => ({
  ok: true,
  events: [{ type, schemaVersion: 1, data }],
});
const nothing: RuleDecision = { ok: true, events: [] };

/** What a command does to a rule. Pure. */
export function decideRule(state: RuleState, command: RuleCommand, now: string): RuleDecision {
  if (command.kind === 'create') {
    if (state.exists) {
      return {
        ok: false,
        error: { kind: 'conflict', code: 'rule_exists', message: `rule ${state.id} exists` },
      };
    }
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
    return emit(T.created, data);
  }
  if (!state.exists || state.deleted) {
    return {
      ok: false,
      error: {
        kind: 'not_found',
        code: 'rule_not_found',
        message: `rule ${state.id} does not exist`,
      },
    };
  }
  switch (command.kind) {
    case 'enable': {
      if (command.missingProviders.length > 0) {
        const names = command.missingProviders.join(', ');
        return {
          ok: false,
          error: {
            kind: 'conflict',
            code: 'provider_not_connected',
            message: `cannot enable ${state.kind} "${state.name}": provider ${names} is not connected`,
            details: { providers: command.missingProviders },
          },
        };
      }
      if (state.enabled) return nothing;
      const data: RuleEnabledData = { ruleId: state.id, enabledAt: now };
      return emit(T.enabled, data);
    }
    case 'disable': {
      if (!state.enabled) return nothing;
      const data: RuleDisabledData = {
        ruleId: state.id,
        reason: 'manual',
        message: command.reason ?? 'disabled by hand',
        provider: null,
        integrationId: null,
        causeEventId: null,
        disabledAt: now,
      };
      return emit(T.disabled, data);
    }
    case 'disableForIntegration': {
      if (!state.enabled) return nothing;
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
      return emit(T.disabled, data);
    }
    case 'delete':
      return emit(T.deleted, { ruleId: state.id, deletedAt: now });
  }
}
