import type { PolicyBreakerEvent } from '#libs/contracts/src/index.js';
import { emit, type Decided, type Decider, type EventData } from '#libs/event-store/src/index.js';

/**
 * A policy's circuit breaker, a decider of the kit (`breakerOf`). Each evaluation is counted in a
 * one-minute bucket; when at least `minEvaluations` evaluations within the last hour include at
 * least `errorRatio` errors ("condition false" is not an error), the breaker opens for
 * `openForMs`. While open, the policy posts success saying so; it closes when the time is up.
 */
export interface BreakerPolicy {
  windowMs: number;
  minEvaluations: number;
  errorRatio: number;
  openForMs: number;
}

export const DEFAULT_BREAKER: BreakerPolicy = {
  windowMs: 3_600_000,
  minEvaluations: 5,
  errorRatio: 0.8,
  openForMs: 30 * 60_000,
};

export interface BreakerState {
  /** Minute (epoch ms / 60,000) -> [evaluations, errors]. */
  buckets: Record<string, [number, number]>;
  openUntil: string | null;
  version: number;
}

export const closedBreaker = (): BreakerState => ({ buckets: {}, openUntil: null, version: 0 });

/** Whether the breaker is open (closing it when its time is up), or an evaluation to count. */
export type BreakerAsk = { kind: 'check' } | { kind: 'count'; errored: boolean };

/** A breaker's command as the evaluator gives it: with the time it is decided at. */
export type BreakerCommand = BreakerAsk & { now: string };

/**
 * The kit's decider of a breaker. Its `evolve` reads only an event's type and data: counts live
 * in the breaker's row and never become recorded events, and `version` counts transitions itself.
 */
export interface Breaker extends Decider<BreakerState, BreakerAsk, PolicyBreakerEvent> {
  evolve(state: BreakerState, event: EventData<PolicyBreakerEvent>): BreakerState;
}

export function isOpen(state: BreakerState, now: string): boolean {
  return state.openUntil !== null && Date.parse(now) < Date.parse(state.openUntil);
}

/** Totals over the window ending at `now`. */
export function windowTotals(state: BreakerState, now: string, policy = DEFAULT_BREAKER) {
  const from = Math.floor((Date.parse(now) - policy.windowMs) / 60_000);
  let evaluations = 0;
  let errors = 0;
  for (const [minute, [n, e]] of Object.entries(state.buckets)) {
    if (Number(minute) > from) {
      evaluations += n;
      errors += e;
    }
  }
  return { evaluations, errors };
}

/**
 * The breaker of a policy under `policy`'s thresholds, as the decider kit has it. Its state is the
 * breaker's row (`rules.breakers`, keyed by the policy's id, which the state does not repeat);
 * `version` counts openings and closings, the events of `breaker-<policy id>`, while counts stay
 * in the row alone.
 */
export function breakerOf(policy: BreakerPolicy): Breaker {
  const evolve = (state: BreakerState, event: EventData<PolicyBreakerEvent>): BreakerState => {
    switch (event.type) {
      case 'PolicyEvaluationCounted': {
        const minute = Math.floor(Date.parse(event.data.at) / 60_000);
        const oldest = Math.floor((Date.parse(event.data.at) - policy.windowMs) / 60_000);
        const buckets: BreakerState['buckets'] = {};
        for (const [m, counts] of Object.entries(state.buckets)) {
          if (Number(m) > oldest) buckets[m] = counts;
        }
        const [n, e] = buckets[minute] ?? [0, 0];
        buckets[minute] = [n + 1, e + (event.data.errored ? 1 : 0)];
        return { ...state, buckets };
      }
      case 'PolicyBreakerOpened':
        // A fresh window after it closes: the errors that tripped it have been answered.
        return {
          ...state,
          openUntil: event.data.openUntil,
          buckets: {},
          version: state.version + 1,
        };
      case 'PolicyBreakerClosed':
        return { ...state, openUntil: null, buckets: {}, version: state.version + 1 };
    }
  };
  return {
    initialState: () => closedBreaker(),
    decide(command, state, now) {
      const events: Decided<PolicyBreakerEvent>[] = [];
      const expired = state.openUntil !== null && !isOpen(state, now);
      if (expired) events.push({ type: 'PolicyBreakerClosed', data: { closedAt: now } });
      if (command.kind === 'check') return emit(...events);
      // While open, evaluations are not made (the policy posts success), so nothing is counted.
      if (isOpen(state, now)) return emit(...events);
      events.push({ type: 'PolicyEvaluationCounted', data: { at: now, errored: command.errored } });
      const after = events.reduce(evolve, state);
      const { evaluations, errors } = windowTotals(after, now, policy);
      if (evaluations >= policy.minEvaluations && errors / evaluations >= policy.errorRatio) {
        events.push({
          type: 'PolicyBreakerOpened',
          data: {
            openedAt: now,
            openUntil: new Date(Date.parse(now) + policy.openForMs).toISOString(),
            evaluations,
            errors,
          },
        });
      }
      return emit(...events);
    },
    evolve,
  };
}
