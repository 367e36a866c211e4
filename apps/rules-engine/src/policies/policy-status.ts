import type { ConditionResult, Enforcement, PolicyEffect } from '#libs/contracts/src/index.js';

/** `Max PR size` -> `max-pr-size`. */
export function policySlug(name: string): string {
  return (
    name
      .normalize('NFKD')
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 100) || 'policy'
  );
}

function describe(results: ConditionResult[]): string {
  return results
    .filter((r) => r.result === true)
    .map(
      (r) =>
        `${r.check} is ${Array.isArray(r.actual) ? `[${r.actual.join(', ')}]` : String(r.actual)} (${r.operator}${r.value === undefined ? '' : ` ${JSON.stringify(r.value)}`})`,
    )
    .join(', ');
}

export type PolicyVerdict =
  | { kind: 'evaluated'; violated: boolean; results: ConditionResult[] }
  | { kind: 'error'; error: string }
  | { kind: 'breaker_open'; openUntil: string };

/**
 * What a policy's commit status says, pure: `block` fails on a violation, `warn` and `advisory`
 * pass (saying so); an evaluation error passes (fail-open) and an open breaker passes, each
 * saying why. GitHub keeps 140 characters of a description.
 */
export function policyStatus(
  name: string,
  enforcement: Enforcement,
  verdict: PolicyVerdict,
): Pick<PolicyEffect, 'state' | 'description' | 'mode'> {
  const cut = (text: string) => (text.length > 140 ? `${text.slice(0, 139)}…` : text);
  if (verdict.kind === 'breaker_open') {
    return {
      state: 'success',
      mode: 'breaker_open',
      description: cut(
        `${name}: not evaluated, circuit breaker open after repeated errors until ${verdict.openUntil.slice(11, 16)} UTC`,
      ),
    };
  }
  if (verdict.kind === 'error') {
    return {
      state: 'success',
      mode: 'fail_open',
      description: cut(`${name}: could not be evaluated, failing open (${verdict.error})`),
    };
  }
  if (!verdict.violated)
    return { state: 'success', mode: 'passed', description: cut(`${name}: passed`) };
  const why = describe(verdict.results);
  if (enforcement === 'block')
    return { state: 'failure', mode: 'violation', description: cut(`${name}: ${why}`) };
  return {
    state: 'success',
    mode: 'violation',
    description: cut(`${name} (${enforcement}): ${why}`),
  };
}
