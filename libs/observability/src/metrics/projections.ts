import { Counter, Gauge } from 'prom-client';
import { family } from './registry.js';

export const projectionLagPositions = family(
  'projection_lag_positions',
  () =>
    new Gauge({
      name: 'projection_lag_positions',
      help: 'Messages on the stream the projection has not applied yet (its consumer backlog).',
      labelNames: ['projection'] as const,
    }),
);

export const projectionLagSeconds = family(
  'projection_lag_seconds',
  () =>
    new Gauge({
      name: 'projection_lag_seconds',
      help: 'Age of the last event the projection applied when it applied it (0 when idle).',
      labelNames: ['projection'] as const,
    }),
);

export const projectionApplied = family(
  'projection_events_applied_total',
  () =>
    new Counter({
      name: 'projection_events_applied_total',
      help: 'Events a projection applied to its read model.',
      labelNames: ['projection'] as const,
    }),
);

export const projectionParked = family(
  'projection_events_parked',
  () =>
    new Gauge({
      name: 'projection_events_parked',
      help: 'Events a projection could not apply and parked for ops to replay or discard.',
      labelNames: ['projection'] as const,
    }),
);

/** After a projection committed a batch: what it applied and how far behind it still is. */
export function projectionBatchApplied(
  projection: string,
  applied: number,
  pending: number,
  lastOccurredAt: string | undefined,
): void {
  if (applied > 0) projectionApplied.inc({ projection }, applied);
  projectionLagPositions.set({ projection }, pending);
  const at = lastOccurredAt === undefined ? NaN : Date.parse(lastOccurredAt);
  projectionLagSeconds.set(
    { projection },
    pending === 0 || !Number.isFinite(at) ? 0 : Math.max(0, Date.now() - at) / 1000,
  );
}
