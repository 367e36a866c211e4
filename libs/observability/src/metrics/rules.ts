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
      help: 'Circuit breakers not closed, per policy id: 2 open, 1 half-open (closed ones drop out).',
      labelNames: ['policy'] as const,
    }),
);

const BREAKER = { closed: 0, half_open: 1, open: 2 } as const;

/**
 * What the rules engine reports. A breaker's series exists only while it is not closed: the
 * policy id is what ops need to act on an open breaker, and open breakers are few, so the label
 * stays bounded although policies grow with workspaces.
 */
export const rulesMetrics = {
  runFinished(outcome: string): void {
    ruleRuns.inc({ outcome });
  },
  actionPerformed(provider: string, outcome: string): void {
    ruleActions.inc({ provider, outcome });
  },
  breakerChanged(policy: string, state: keyof typeof BREAKER): void {
    if (state === 'closed') breakerState.remove({ policy });
    else breakerState.set({ policy }, BREAKER[state]);
  },
};
