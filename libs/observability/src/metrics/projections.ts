import { Counter, Gauge } from 'prom-client';
import { family } from './registry.js';

/** What the projection runners say of themselves (libs/projections: `Projections.statuses`). */
export interface ProjectionFigures {
  name: string;
  lag: number;
  parked: number;
  /** When the oldest message it has not applied reached its stream (ms since epoch), or null. */
  oldestPendingAt: number | null;
}

const sources = new Set<() => Promise<ProjectionFigures[]>>();
let inFlight: Promise<ProjectionFigures[]> | undefined;

/** One read per scrape serves the three families; each source falls back to its last known figures. */
function figures(): Promise<ProjectionFigures[]> {
  inFlight ??= Promise.all([...sources].map((read) => read().catch(() => [])))
    .then((lists) => lists.flat())
    .finally(() => (inFlight = undefined));
  return inFlight;
}

export const projectionLagPositions = family(
  'projection_lag_positions',
  () =>
    new Gauge({
      name: 'projection_lag_positions',
      help: 'Messages on its stream the projection has not applied yet (pending and unacknowledged).',
      labelNames: ['projection'] as const,
      async collect() {
        const list = await figures();
        this.reset();
        for (const p of list) this.set({ projection: p.name }, p.lag);
      },
    }),
);

export const projectionParked = family(
  'projection_events_parked',
  () =>
    new Gauge({
      name: 'projection_events_parked',
      help: 'Events the projection could not apply, parked in DEAD_LETTERS for ops to replay or discard.',
      labelNames: ['projection'] as const,
      async collect() {
        const list = await figures();
        this.reset();
        for (const p of list) this.set({ projection: p.name }, p.parked);
      },
    }),
);

/**
 * Computed at scrape time from when the oldest unapplied message reached the stream, so it keeps
 * growing while a projection stalls, however few events wait (ProjectionLagging in
 * ops/prometheus/alerts.yml); a value set after each commit froze exactly then.
 */
export const projectionLagSeconds = family(
  'projection_lag_seconds',
  () =>
    new Gauge({
      name: 'projection_lag_seconds',
      help: 'Age of the oldest message on its stream the projection has not applied yet (0 once caught up).',
      labelNames: ['projection'] as const,
      async collect() {
        const list = await figures();
        const now = Date.now();
        this.reset();
        for (const p of list) this.set({ projection: p.name }, lagSeconds(p.oldestPendingAt, now));
      },
    }),
);

/** Seconds the oldest unapplied message has waited at `now`; 0 when none waits. */
function lagSeconds(oldestPendingAt: number | null, now: number): number {
  return oldestPendingAt === null ? 0 : Math.max(0, now - oldestPendingAt) / 1000;
}

export const projectionApplied = family(
  'projection_events_applied_total',
  () =>
    new Counter({
      name: 'projection_events_applied_total',
      help: 'Events a projection applied to its read model.',
      labelNames: ['projection'] as const,
    }),
);

/** Shows a service's projections' lag and parked counts; the returned function stops it. */
export function watchProjections(read: () => Promise<ProjectionFigures[]>): () => void {
  sources.add(read);
  return () => sources.delete(read);
}

/** After a projection committed a batch: how many events it applied. */
export function projectionBatchApplied(projection: string, applied: number): void {
  if (applied > 0) projectionApplied.inc({ projection }, applied);
}
