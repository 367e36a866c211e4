import { createRequire } from 'node:module';

/** What an autocannon run reports, as far as the benchmarks read it. */
export type AutocannonResult = {
  statusCodeStats: Record<string, { count: number }>;
  requests: { average: number; total: number };
  latency: { p50: number; p99: number; average: number; max: number };
  non2xx: number;
  errors: number;
  timeouts: number;
};

// autocannon ships CommonJS without types.
const require = createRequire(import.meta.url);
export const autocannon = require('autocannon') as (
  options: Record<string, unknown>,
) => Promise<AutocannonResult>;
