import { Counter } from 'prom-client';
import { HotPathHistogram } from './hot-path-histogram.js';
import { family, metricsRegistry } from './registry.js';

/** Request durations by method, route template (never the raw path) and status class. */
export const httpRequestDuration = family(
  'http_request_duration_seconds',
  () =>
    new HotPathHistogram(
      'http_request_duration_seconds',
      'HTTP request duration by method, route template and status class (2xx, 4xx...).',
      ['method', 'route', 'status_class'] as const,
      [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      metricsRegistry,
    ),
);

/** Refusals ops watch on their own: 401 (no or bad key), 403 (role), 429 (rate limit). */
export const httpRefusals = family(
  'http_refusals_total',
  () =>
    new Counter({
      name: 'http_refusals_total',
      help: 'HTTP answers 401, 403 and 429, by status and route template.',
      labelNames: ['status', 'route'] as const,
    }),
);
