import { Histogram } from 'prom-client';
import { family } from './registry.js';

/** Outcome of a bus command: `ok`, the reply's error kind, or why no reply came. */
export type BusOutcome =
  | 'ok'
  | 'validation'
  | 'not_found'
  | 'conflict'
  | 'forbidden'
  | 'payload_too_large'
  | 'unavailable'
  | 'internal'
  | 'timeout'
  | 'no_responders'
  | 'disconnected'
  | 'too_large'
  | 'handler_failed'
  | 'malformed';

/** Command and query round trips from the caller's side, by subject (a bounded set) and outcome. */
export const busRequestDuration = family(
  'bus_request_duration_seconds',
  () =>
    new Histogram({
      name: 'bus_request_duration_seconds',
      help: 'Round trip of a bus command or query, from send to reply, by subject and outcome.',
      labelNames: ['subject', 'outcome'] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    }),
);
