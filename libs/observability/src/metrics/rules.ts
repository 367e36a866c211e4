import { Counter, Gauge } from 'prom-client';
import { bounded, family } from './registry.js';

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

/** A policy's breaker as the breaker store read it: open until `openUntil` (ISO 8601). */
export interface OpenBreaker {
  policy: string;
  openUntil: string;
}

/** Each store's read, and the breakers it read last (shown while the database does not answer). */
const breakerReads = new Map<() => Promise<OpenBreaker[]>, OpenBreaker[]>();

/** The value for an open breaker: the dashboard and CircuitBreakerOpen (ops/) read 2. */
const OPEN = 2;

/**
 * Read at scrape time from the breakers' stored state, not set on the transitions this process
 * made: so every replica, and one just restarted, shows the breakers any replica opened; and a
 * breaker whose open time is up shows closed, as the next evaluation finds it (breaker.ts has
 * no half-open state: it closes when the time is up).
 */
export const policyBreakerState = family(
  'policy_circuit_breaker_state',
  () =>
    new Gauge({
      name: 'policy_circuit_breaker_state',
      help: 'Circuit breakers open now, per policy id, at 2; a closed breaker, or one whose open time has passed, has no series.',
      labelNames: ['policy'] as const,
      async collect() {
        const lists = await Promise.all([...breakerReads.keys()].map(readBreakers));
        const now = Date.now();
        this.reset();
        for (const b of lists.flat()) {
          if (Date.parse(b.openUntil) > now) this.set({ policy: b.policy }, OPEN);
        }
      },
    }),
);

async function readBreakers(read: () => Promise<OpenBreaker[]>): Promise<OpenBreaker[]> {
  try {
    const open = await bounded(read(), 2_000, 'the breakers were not read in time');
    if (breakerReads.has(read)) breakerReads.set(read, open);
    return open;
  } catch {
    // The database does not answer (readiness says so): the scrape still answers.
    return breakerReads.get(read) ?? [];
  }
}

/**
 * What the rules engine reports. A breaker's series exists only while it is open: the policy id
 * is what ops need to act on an open breaker, and open breakers are few (the store reads a
 * bounded number), so the label stays bounded although policies grow with workspaces.
 */
export const rulesMetrics = {
  runFinished(outcome: string): void {
    ruleRuns.inc({ outcome });
  },
  actionPerformed(provider: string, outcome: string): void {
    ruleActions.inc({ provider, outcome });
  },
};

/** Shows the breakers `read` finds open on `/metrics`; the returned function stops it. */
export function watchBreakers(read: () => Promise<OpenBreaker[]>): () => void {
  breakerReads.set(read, []);
  return () => breakerReads.delete(read);
}
