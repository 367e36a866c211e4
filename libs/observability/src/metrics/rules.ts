import { Counter, Gauge } from 'prom-client';
import { family } from './registry.js';

const ruleRuns = family(
  'rule_runs_total',
  () =>
    new Counter({
      name: 'rule_runs_total',
      help: 'Rule and policy runs by outcome (performed, skipped, failed, failed_open...).',
      labelNames: ['outcome'] as const,
    }),
);

const ruleActions = family(
  'rule_actions_total',
  () =>
    new Counter({
      name: 'rule_actions_total',
      help: 'Actions rules performed, by provider and outcome.',
      labelNames: ['provider', 'outcome'] as const,
    }),
);

const breakerState = family(
  'policy_circuit_breaker_state',
  () =>
    new Gauge({
      name: 'policy_circuit_breaker_state',
      help: 'Circuit breaker per policy: 0 closed, 1 half-open, 2 open.',
      labelNames: ['policy'] as const,
    }),
);

const BREAKER = { closed: 0, half_open: 1, open: 2 } as const;

/**
 * What the rules engine reports. `policy` is the policy's slug (the `<prefix>/<slug>` of its
 * commit status): set by people, few per deployment, and what ops read in an alert.
 */
export const rulesMetrics = {
  runFinished(outcome: string): void {
    ruleRuns.inc({ outcome });
  },
  actionPerformed(provider: string, outcome: string): void {
    ruleActions.inc({ provider, outcome });
  },
  breakerChanged(policy: string, state: keyof typeof BREAKER): void {
    breakerState.set({ policy }, BREAKER[state]);
  },
};
