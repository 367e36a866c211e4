import { Counter, Histogram } from 'prom-client';
import { family } from './registry.js';

export const webhookIntake = family(
  'webhook_deliveries_received_total',
  () =>
    new Counter({
      name: 'webhook_deliveries_received_total',
      help: 'GitHub deliveries at the gateway by event and outcome (accepted, duplicate, rejected...).',
      labelNames: ['event', 'outcome'] as const,
    }),
);

export const webhookProcessed = family(
  'webhook_deliveries_processed_total',
  () =>
    new Counter({
      name: 'webhook_deliveries_processed_total',
      // Parked deliveries count here as outcome `dead_lettered`; those still parked are the
      // messages of the dead-letter stream (jetstream_stream_messages).
      help: 'GitHub deliveries the scanner finished, by event and outcome (dead_lettered, ...).',
      labelNames: ['event', 'outcome'] as const,
    }),
);

export const webhookReceiptToApplied = family(
  'webhook_receipt_to_applied_seconds',
  () =>
    new Histogram({
      name: 'webhook_receipt_to_applied_seconds',
      help: 'From the gateway receiving a delivery to the scanner having applied it.',
      labelNames: ['event'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    }),
);
