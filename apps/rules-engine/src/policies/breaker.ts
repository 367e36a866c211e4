/**
 * A policy's circuit breaker, as pure decide/evolve. Each evaluation is counted in a one-minute
 * bucket; when at least `minEvaluations` evaluations within the last hour include at least
 * `errorRatio` errors ("condition false" is not an error), the breaker opens for `openForMs`.
 * While open, the policy posts success saying so; it closes when the time is up.
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

export type BreakerEvent =
  | {
      type: 'PolicyBreakerOpened';
      data: { openedAt: string; openUntil: string; evaluations: number; errors: number };
    }
  | { type: 'PolicyBreakerClosed'; data: { closedAt: string } }
  | { type: 'PolicyEvaluationCounted'; data: { at: string; errored: boolean } };

export type BreakerCommand =
  { kind: 'check'; now: string } | { kind: 'count'; now: string; errored: boolean };

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

export function decideBreaker(
  state: BreakerState,
  command: BreakerCommand,
  policy = DEFAULT_BREAKER,
): BreakerEvent[] {
  const events: BreakerEvent[] = [];
  const expired = state.openUntil !== null && !isOpen(state, command.now);
  if (expired) events.push({ type: 'PolicyBreakerClosed', data: { closedAt: command.now } });
  if (command.kind === 'check') return events;
  // While open, evaluations are not made (the policy posts success), so nothing is counted.
  if (isOpen(state, command.now)) return events;
  events.push({
    type: 'PolicyEvaluationCounted',
    data: { at: command.now, errored: command.errored },
  });
  const after = events.reduce((s, e) => evolveBreaker(s, e, policy), state);
  const { evaluations, errors } = windowTotals(after, command.now, policy);
  if (evaluations >= policy.minEvaluations && errors / evaluations >= policy.errorRatio) {
    events.push({
      type: 'PolicyBreakerOpened',
      data: {
        openedAt: command.now,
        openUntil: new Date(Date.parse(command.now) + policy.openForMs).toISOString(),
        evaluations,
        errors,
      },
    });
  }
  return events;
}

export function evolveBreaker(
  state: BreakerState,
  event: BreakerEvent,
  policy = DEFAULT_BREAKER,
): BreakerState {
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
      return { ...state, openUntil: event.data.openUntil, buckets: {} };
    case 'PolicyBreakerClosed':
      return { ...state, openUntil: null, buckets: {} };
  }
}
