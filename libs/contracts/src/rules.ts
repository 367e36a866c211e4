import { z } from 'zod';
import type { Envelope } from './envelope.js';
import {
  findAction,
  findCheck,
  findProvider,
  OPERATORS,
  OPERATORS_BY_VALUE_TYPE,
  PROVIDER_NAMES,
} from './providers/catalog.js';
import type { FieldIssue } from './reply.js';

/**
 * Rules and policies: trigger -> conditions -> actions. A condition names a provider, one of its
 * checks, an operator, a value and optionally a repository; an action names a provider, one of its
 * actions (the method) and its params. A policy adds an enforcement level. A rule depends on every
 * provider it names. Commands travel as `Envelope<type, payload>` on `RuleSubjects`, answers are
 * `Reply<result>`; writes carry `position` like integration writes.
 */

export const ENFORCEMENTS = ['advisory', 'warn', 'block'] as const;
export type Enforcement = (typeof ENFORCEMENTS)[number];
export type RuleKind = 'rule' | 'policy';

export interface RuleTrigger {
  /** What starts an evaluation, e.g. `pull_request.opened`, `deployment.created`, `schedule`. */
  event: string;
  /** Cron expression when `event` is `schedule`. */
  schedule?: string;
}

export interface RuleCondition {
  provider: string;
  check: string;
  operator: string;
  value?: unknown;
  /** `owner/name` or a glob like `acme/*`. */
  repo?: string;
}

export interface RuleAction {
  provider: string;
  method: string;
  params?: Record<string, unknown>;
}

export interface RuleDefinition {
  name: string;
  description?: string;
  kind: RuleKind;
  /** Required for a policy, absent for a rule. */
  enforcement?: Enforcement;
  trigger: RuleTrigger;
  /** `all` (default) or `any` of the conditions must hold. */
  match?: 'all' | 'any';
  conditions: RuleCondition[];
  actions: RuleAction[];
}

/** The shape; `validateRuleDefinition` adds the catalog checks (providers, checks, operators). */
export const ruleDefinitionSchema = z
  .strictObject({
    name: z.string().trim().min(1).max(200),
    description: z.string().max(2000).optional(),
    kind: z.enum(['rule', 'policy']).default('rule'),
    enforcement: z.enum(ENFORCEMENTS).optional(),
    trigger: z.strictObject({
      event: z.string().trim().min(1).max(200),
      schedule: z.string().min(1).max(200).optional(),
    }),
    match: z.enum(['all', 'any']).default('all'),
    conditions: z
      .array(
        z.strictObject({
          provider: z.string(),
          check: z.string(),
          operator: z.string(),
          value: z.unknown().optional(),
          repo: z
            .string()
            .regex(/^[\w.-]+\/[\w.*-]+$/, 'expected owner/name')
            .optional(),
        }),
      )
      .min(1)
      .max(50),
    actions: z
      .array(
        z.strictObject({
          provider: z.string(),
          method: z.string(),
          params: z.record(z.string(), z.unknown()).default({}),
        }),
      )
      .min(1)
      .max(50),
  })
  .superRefine((def, ctx) => {
    if (def.kind === 'policy' && def.enforcement === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['enforcement'],
        message: `a policy needs an enforcement: ${ENFORCEMENTS.join(', ')}`,
      });
    }
    if (def.kind === 'rule' && def.enforcement !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['enforcement'],
        message: 'only a policy has an enforcement',
      });
    }
  });

/** Every way a definition can be wrong, one entry per field; empty when valid. */
export function validateRuleDefinition(
  input: unknown,
): { ok: true; definition: RuleDefinition } | { ok: false; issues: FieldIssue[] } {
  const parsed = ruleDefinitionSchema.safeParse(input);
  if (!parsed.success) {
    return {
      ok: false,
      issues: parsed.error.issues.map((i) => ({ field: i.path.join('.'), message: i.message })),
    };
  }
  const def = parsed.data as RuleDefinition;
  const issues: FieldIssue[] = [];
  def.conditions.forEach((c, i) => {
    const at = `conditions.${i}`;
    const provider = findProvider(c.provider);
    if (!provider) {
      issues.push(unknownProvider(`${at}.provider`, c.provider));
      return;
    }
    const check = findCheck(c.provider, c.check);
    if (!check) {
      const known = provider.checks.map((k) => k.name);
      issues.push({
        field: `${at}.check`,
        message: `unknown check ${c.check} for ${c.provider}; known: ${known.join(', ')}`,
      });
      return;
    }
    if (!(OPERATORS as readonly string[]).includes(c.operator)) {
      issues.push({
        field: `${at}.operator`,
        message: `unknown operator ${c.operator}; known: ${OPERATORS.join(' ')}`,
      });
      return;
    }
    const allowed = OPERATORS_BY_VALUE_TYPE[check.valueType] as readonly string[];
    if (!allowed.includes(c.operator)) {
      issues.push({
        field: `${at}.operator`,
        message: `operator ${c.operator} does not apply to ${c.check} (${check.valueType}); use one of ${allowed.join(' ')}`,
      });
      return;
    }
    const valueIssue = checkValue(c.operator, check.valueType, c.value);
    if (valueIssue) issues.push({ field: `${at}.value`, message: valueIssue });
  });
  def.actions.forEach((a, i) => {
    const at = `actions.${i}`;
    const provider = findProvider(a.provider);
    if (!provider) {
      issues.push(unknownProvider(`${at}.provider`, a.provider));
      return;
    }
    const action = findAction(a.provider, a.method);
    if (!action) {
      const known = provider.actions.map((k) => k.name);
      issues.push({
        field: `${at}.method`,
        message: `unknown action ${a.method} for ${a.provider}; known: ${known.join(', ')}`,
      });
      return;
    }
    const params = action.params.safeParse(a.params ?? {});
    if (!params.success) {
      for (const issue of params.error.issues) {
        issues.push({
          field: [`${at}.params`, ...issue.path].join('.'),
          message: issue.message,
        });
      }
    }
  });
  return issues.length === 0 ? { ok: true, definition: def } : { ok: false, issues };
}

function unknownProvider(field: string, name: string): FieldIssue {
  return { field, message: `unknown provider ${name}; known: ${PROVIDER_NAMES.join(', ')}` };
}

function checkValue(operator: string, valueType: string, value: unknown): string | undefined {
  if (operator === 'is_empty' || operator === 'is_not_empty') {
    return value === undefined ? undefined : `${operator} takes no value`;
  }
  if (value === undefined) return `${operator} needs a value`;
  if (
    ['gt', 'lt', 'gte', 'lte'].includes(operator) ||
    (operator === 'eq' && valueType === 'number')
  ) {
    return typeof value === 'number' && Number.isFinite(value) ? undefined : 'expected a number';
  }
  if (operator === 'eq' && valueType === 'boolean') {
    return typeof value === 'boolean' ? undefined : 'expected true or false';
  }
  if (operator === 'matches') return regexIssue(value);
  if (operator === 'none_match' || operator === 'any_match') {
    if (!Array.isArray(value) || value.length === 0) return 'expected a non-empty list of patterns';
    for (const pattern of value) {
      const issue = regexIssue(pattern);
      if (issue) return issue;
    }
    return undefined;
  }
  return typeof value === 'string' ? undefined : 'expected a string';
}

function regexIssue(value: unknown): string | undefined {
  if (typeof value !== 'string') return 'expected a regular expression as a string';
  try {
    new RegExp(value);
    return undefined;
  } catch {
    return `not a valid regular expression: ${value}`;
  }
}

/** Providers a definition depends on, sorted, each once. */
export function ruleProviders(def: Pick<RuleDefinition, 'conditions' | 'actions'>): string[] {
  return [...new Set([...def.conditions, ...def.actions].map((x) => x.provider))].sort();
}

export interface RuleView {
  id: string;
  workspaceId: string;
  name: string;
  kind: RuleKind;
  enforcement: Enforcement | null;
  definition: RuleDefinition;
  providers: string[];
  enabled: boolean;
  /** Why the rule is disabled (null while enabled). */
  disabledReason: string | null;
  /** The event that disabled it (e.g. the `IntegrationDisconnected` that caused it). */
  disabledByEventId: string | null;
  disabledByIntegrationId: string | null;
  createdAt: string;
  updatedAt: string;
  version: number;
}

// ---- Commands (payloads) ----

/**
 * `rules.cmd.create`. `enabled` defaults to true; a rule whose providers are not all connected is
 * created disabled, with the missing provider in `disabledReason`.
 */
export interface CreateRuleCommand {
  definition: unknown;
  enabled?: boolean;
}
/** `rules.cmd.enable`: conflict naming the provider when one it needs is not connected. */
export interface EnableRuleCommand {
  ruleId: string;
}
export interface DisableRuleCommand {
  ruleId: string;
  reason?: string;
}
export interface DeleteRuleCommand {
  ruleId: string;
}
export interface GetRuleQuery {
  ruleId: string;
}
export interface ListRulesQuery {
  enabled?: boolean;
  provider?: string;
}
export interface RuleHistoryQuery {
  ruleId: string;
}

// ---- Events ----

export const RuleEventTypes = {
  created: 'RuleCreated',
  enabled: 'RuleEnabled',
  disabled: 'RuleDisabled',
  deleted: 'RuleDeleted',
} as const;

export type RuleDisabledReason =
  'manual' | 'integration_disconnected' | 'integration_deleted' | 'provider_not_connected';

export interface RuleCreatedData {
  ruleId: string;
  name: string;
  kind: RuleKind;
  enforcement: Enforcement | null;
  definition: RuleDefinition;
  providers: string[];
  enabled: boolean;
  disabledReason: string | null;
  createdAt: string;
}

export interface RuleEnabledData {
  ruleId: string;
  enabledAt: string;
}

export interface RuleDisabledData {
  ruleId: string;
  reason: RuleDisabledReason;
  /** A sentence for people, e.g. `integration github (…) was disconnected`. */
  message: string;
  provider: string | null;
  integrationId: string | null;
  /** The event that caused this one (the disconnect or delete), null when disabled by hand. */
  causeEventId: string | null;
  disabledAt: string;
}

export interface RuleDeletedData {
  ruleId: string;
  deletedAt: string;
}

export interface RuleEventDataMap {
  RuleCreated: RuleCreatedData;
  RuleEnabled: RuleEnabledData;
  RuleDisabled: RuleDisabledData;
  RuleDeleted: RuleDeletedData;
}
export type RuleEventType = keyof RuleEventDataMap;
export type RuleEvent = {
  [K in RuleEventType]: Envelope<K, RuleEventDataMap[K]>;
}[RuleEventType];

export const ruleStreamId = (ruleId: string) => `rule-${ruleId}`;
