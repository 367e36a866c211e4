import { z } from 'zod';

const count = (fallback: number) => z.coerce.number().int().positive().default(fallback);

/**
 * The gateway's abuse limits (documented in README.md, "Limits"). Every limit counts per gateway
 * replica: with N replicas behind a balancer a client gets up to N times each figure.
 */
export const limitsEnv = {
  /** `false` turns every rate limit off (benchmarks compare both); in-flight bounds stay. */
  RATE_LIMITS_ENABLED: z
    .enum(['true', 'false'], { message: 'expected true or false' })
    .default('true')
    .transform((v) => v === 'true'),
  /** The window every rate limit counts in. */
  RATE_LIMIT_WINDOW_MS: count(60_000),
  /** Requests per client address and window, counted before any key is looked up. */
  RATE_LIMIT_PER_ADDRESS: count(3_000),
  /** Requests per API key and window. */
  RATE_LIMIT_PER_KEY: count(1_200),
  /** Failed authentications per client address and window; past it, keys are not looked up. */
  RATE_LIMIT_FAILED_AUTH: count(100),
  /**
   * How many addresses and keys each limit remembers; past it, those whose window started
   * longest ago are forgotten first.
   */
  RATE_LIMIT_TRACKED_CLIENTS: count(10_000),
  /** Open server-sent event streams per API key. */
  SSE_STREAMS_PER_KEY: count(4),
  /** GitHub deliveries being received or stored at once; more answer 503 with Retry-After. */
  WEBHOOK_MAX_IN_FLIGHT: count(32),
};

export type LimitsConfig = z.infer<z.ZodObject<typeof limitsEnv>>;
