import type {
  CheckValue,
  ConditionResult,
  Operator,
  ProviderTarget,
  RuleCondition,
} from '#libs/contracts/src/index.js';
import { applyOperator } from './operators.js';
import type { ProviderClient } from './provider-client.js';

export interface ConditionsOutcome {
  results: ConditionResult[];
  matched: boolean;
  /** The first error that kept a condition from being evaluated. */
  error: string | null;
  /** The provider is not connected (any more): the run fails without counting as a provider error. */
  notConnected: boolean;
}

/** Where a condition reads: its own repository when it names one exactly, else the trigger's. */
function targetFor(condition: RuleCondition, trigger: ProviderTarget): ProviderTarget {
  if (condition.provider === 'slack')
    return condition.channel ? { channel: condition.channel } : {};
  const repo = condition.repo && !condition.repo.includes('*') ? condition.repo : trigger.repo;
  return { ...trigger, ...(repo ? { repo } : {}) };
}

/**
 * Reads the live values of a rule's conditions (one `providers.cmd.check` per provider and
 * target, however many checks it holds) and applies their operators. No condition: matched.
 */
export async function evaluateConditions(
  conditions: RuleCondition[],
  match: 'all' | 'any',
  trigger: ProviderTarget,
  providers: ProviderClient,
  workspaceId: string,
  correlationId: string,
): Promise<ConditionsOutcome> {
  if (conditions.length === 0)
    return { results: [], matched: true, error: null, notConnected: false };
  const groups = new Map<
    string,
    { provider: string; target: ProviderTarget; checks: Set<string> }
  >();
  const keys = conditions.map((c) => {
    const target = targetFor(c, trigger);
    const key = JSON.stringify([c.provider, target]);
    const group = groups.get(key) ?? { provider: c.provider, target, checks: new Set<string>() };
    group.checks.add(c.check);
    groups.set(key, group);
    return key;
  });
  const values = new Map<
    string,
    { values?: Record<string, CheckValue>; error?: string; notConnected?: boolean }
  >();
  await Promise.all(
    [...groups].map(async ([key, group]) => {
      const reply = await providers.check(workspaceId, correlationId, {
        provider: group.provider,
        checks: [...group.checks],
        target: group.target,
      });
      values.set(
        key,
        reply.ok
          ? { values: reply.value.values }
          : { error: reply.error.message, notConnected: reply.error.code === 'not_connected' },
      );
    }),
  );
  let error: string | null = null;
  let notConnected = false;
  const results: ConditionResult[] = conditions.map((c, i) => {
    const read = values.get(keys[i]!)!;
    const base = {
      provider: c.provider,
      check: c.check,
      operator: c.operator,
      ...(c.value === undefined ? {} : { value: c.value }),
    };
    if (read.error !== undefined || !read.values || !(c.check in read.values)) {
      error ??= read.error ?? `${c.provider} gave no value for ${c.check}`;
      notConnected ||= read.notConnected === true;
      return { ...base, result: null, error: read.error ?? 'no value' };
    }
    const actual = read.values[c.check]!;
    try {
      return { ...base, actual, result: applyOperator(c.operator as Operator, actual, c.value) };
    } catch (e) {
      error ??= e instanceof Error ? e.message : String(e);
      return { ...base, actual, result: null, error: String(e) };
    }
  });
  const matched = error === null && conditionsMatch(results, match);
  return { results, matched, error, notConnected };
}

/**
 * Whether judged conditions match: `all` of them held, or `any` one did. A condition that could
 * not be judged (`result: null`) did not hold; no condition matches every trigger.
 */
export function conditionsMatch(
  results: Array<Pick<ConditionResult, 'result'>>,
  match: 'all' | 'any',
): boolean {
  if (results.length === 0) return true;
  return match === 'any'
    ? results.some((r) => r.result === true)
    : results.every((r) => r.result === true);
}

/** `{{condition.result}}`: the values the conditions saw, in order. */
export function conditionSummary(results: ConditionResult[]): string {
  return results
    .map((r) => (Array.isArray(r.actual) ? r.actual.join(', ') : String(r.actual ?? '')))
    .join('; ');
}
