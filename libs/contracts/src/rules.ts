import { Cron } from 'croner';
import { RE2JS } from 're2js';
import { z } from 'zod';
import type { Envelope } from './envelope.js';
import { canonicalRule } from './rule-format.js';
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
  /**
   * What starts an evaluation: a GitHub event (`pull_request.opened`, `push`, `issues.opened`),
   * `schedule` or `poll`.
   */
  event: string;
  /** 5-field cron expression in UTC when `event` is `schedule`. */
  schedule?: string;
  /** `5m`, `1h`, `1d` (at least one minute) when `event` is `poll`. */
  interval?: string;
}

/** `5m`, `2h`, `1d`: the period of a poll trigger in milliseconds, or undefined when malformed. */
export function pollIntervalMs(interval: string): number | undefined {
  const match = /^(\d{1,6})([mhd])$/.exec(interval);
  if (!match) return undefined;
  const unit = { m: 60_000, h: 3_600_000, d: 86_400_000 }[match[2] as 'm' | 'h' | 'd'];
  const ms = Number(match[1]) * unit;
  return ms >= 60_000 ? ms : undefined;
}

/** A 5-field cron expression croner accepts, or the reason it does not. */
export function cronIssue(expression: string): string | undefined {
  if (expression.trim().split(/\s+/).length !== 5) {
    return 'expected a 5-field cron expression (minute hour day-of-month month day-of-week)';
  }
  try {
    new Cron(expression, { timezone: 'UTC', paused: true }).stop();
    return undefined;
  } catch (error) {
    return `not a valid cron expression: ${error instanceof Error ? error.message : String(error)}`;
  }
}

export interface RuleCondition {
  provider: string;
  check: string;
  operator: string;
  value?: unknown;
  /** `owner/name` or a glob like `acme/*`. */
  repo?: string;
  /** The Slack channel a channel check reads. */
  channel?: string;
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
  /** `all` (default) or `any` of the conditions must hold; no condition: every trigger matches. */
  match?: 'all' | 'any';
  conditions: RuleCondition[];
  /** At least one for a rule; a policy's effect is its commit status, so it may have none. */
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
      interval: z.string().min(1).max(20).optional(),
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
          channel: z.string().trim().min(1).max(80).optional(),
        }),
      )
      .max(50),
    actions: z
      .array(
        z.strictObject({
          provider: z.string(),
          method: z.string(),
          params: z.record(z.string(), z.unknown()).default({}),
        }),
      )
      .max(50),
  })
  .superRefine((def, ctx) => {
    if (def.kind === 'rule' && def.actions.length === 0) {
      ctx.addIssue({ code: 'custom', path: ['actions'], message: 'a rule needs an action' });
    }
    const { event, schedule, interval } = def.trigger;
    if (event === 'schedule') {
      const issue =
        schedule === undefined ? 'a schedule needs a cron expression' : cronIssue(schedule);
      if (issue) ctx.addIssue({ code: 'custom', path: ['trigger', 'schedule'], message: issue });
    } else if (schedule !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['trigger', 'schedule'],
        message: 'only a schedule has a cron expression',
      });
    }
    if (event === 'poll') {
      if (interval === undefined || pollIntervalMs(interval) === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['trigger', 'interval'],
          message: 'expected an interval like 5m, 1h or 1d, at least 1 minute',
        });
      }
    } else if (interval !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['trigger', 'interval'],
        message: 'only a poll has an interval',
      });
    }
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

/**
 * Every way a definition can be wrong, one entry per field; when valid, the definition in the
 * canonical shape (either shape is accepted, see `canonicalRule`).
 */
export function validateRuleDefinition(
  input: unknown,
): { ok: true; definition: RuleDefinition } | { ok: false; issues: FieldIssue[] } {
  const parsed = ruleDefinitionSchema.safeParse(canonicalRule(input));
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
  if (value.length > 1000) return 'a regular expression is at most 1000 characters';
  try {
    // RE2 syntax, as evaluation uses: no backreferences or lookaround, so no pattern can make a
    // match take exponential time.
    RE2JS.compile(value);
    return undefined;
  } catch (error) {
    return `not a valid RE2 regular expression: ${value} (${error instanceof Error ? error.message : String(error)})`;
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
