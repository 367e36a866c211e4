import { Counter, Gauge, Histogram } from 'prom-client';
import { family } from './registry.js';

export const reposScanned = family(
  'scanner_repositories_total',
  () =>
    new Counter({
      name: 'scanner_repositories_total',
      help: 'Repositories a scan finished, by result (scanned or failed).',
      labelNames: ['result'] as const,
    }),
);

export const scanDuration = family(
  'scanner_scan_duration_seconds',
  () =>
    new Histogram({
      name: 'scanner_scan_duration_seconds',
      help: 'Wall time of an organization scan from start to its last repository, by outcome.',
      labelNames: ['outcome'] as const,
      buckets: [1, 5, 15, 30, 60, 120, 300, 600, 1200, 3600],
    }),
);

export const githubRequests = family(
  'github_requests_total',
  () =>
    new Counter({
      name: 'github_requests_total',
      help: 'Requests to GitHub by route template (Octokit route, or graphql) and status.',
      labelNames: ['route', 'status'] as const,
    }),
);

export const githubNotModified = family(
  'github_not_modified_total',
  () =>
    new Counter({
      name: 'github_not_modified_total',
      help: 'Conditional GitHub requests answered 304 (they cost no rate limit).',
      labelNames: ['route'] as const,
    }),
);

/**
 * Points left per installation. An installation id is GitHub's, one per connected organization:
 * bounded by the connected workspaces of one deployment, and the one thing ops need to tell
 * which organization is about to stall.
 */
export const githubRateLimitRemaining = family(
  'github_rate_limit_remaining',
  () =>
    new Gauge({
      name: 'github_rate_limit_remaining',
      help: 'Rate-limit points GitHub last reported left, per installation and resource.',
      labelNames: ['installation', 'resource'] as const,
    }),
);
