import { Counter, Gauge, Histogram } from 'prom-client';
import { family } from './registry.js';

export const eventStoreAppendDuration = family(
  'event_store_append_duration_seconds',
  () =>
    new Histogram({
      name: 'event_store_append_duration_seconds',
      help: 'Time to append one batch of events to the log (one INSERT).',
      labelNames: ['schema'] as const,
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    }),
);

export const eventStoreConflictsRetried = family(
  'event_store_conflicts_retried_total',
  () =>
    new Counter({
      name: 'event_store_conflicts_retried_total',
      help: 'Appends that found another writer first and were decided again.',
      labelNames: ['schema'] as const,
    }),
);

export const publisherLagPositions = family(
  'event_publisher_lag_positions',
  () =>
    new Gauge({
      name: 'event_publisher_lag_positions',
      help: 'Log positions appended but not yet published, as the leading publisher last read.',
      labelNames: ['publisher'] as const,
      collect() {
        this.reset();
        for (const b of leadingBacklogs()) this.set({ publisher: b.name }, b.pendingPositions);
      },
    }),
);

export const publisherLagSeconds = family(
  'event_publisher_lag_seconds',
  () =>
    new Gauge({
      name: 'event_publisher_lag_seconds',
      help: 'Age of the oldest appended event not yet published (0 when caught up).',
      labelNames: ['publisher'] as const,
      collect() {
        this.reset();
        const now = Date.now();
        for (const b of leadingBacklogs()) {
          const age = b.oldestPendingAt === undefined ? 0 : (now - b.oldestPendingAt) / 1000;
          this.set({ publisher: b.name }, Math.max(0, age));
        }
      },
    }),
);

export const publisherPublished = family(
  'event_publisher_published_total',
  () =>
    new Counter({
      name: 'event_publisher_published_total',
      help: 'Events published from the log to JetStream.',
      labelNames: ['publisher'] as const,
    }),
);

/** What a leading publisher knows of its backlog. */
export interface PublisherBacklog {
  name: string;
  isLeader: boolean;
  /** Positions read from the log and not yet published. */
  pendingPositions: number;
  /** When the oldest of them was recorded (ms since epoch), or undefined when caught up. */
  oldestPendingAt: number | undefined;
}

const publishers = new Set<() => PublisherBacklog>();

function leadingBacklogs(): PublisherBacklog[] {
  return [...publishers].map((read) => read()).filter((b) => b.isLeader);
}

/**
 * Reports a publisher's lag at scrape time, so a stalled publisher's lag in seconds keeps
 * growing while it stalls. Only the leading replica reports. Returns the function that stops it.
 */
export function watchPublisher(read: () => PublisherBacklog): () => void {
  publishers.add(read);
  return () => publishers.delete(read);
}
