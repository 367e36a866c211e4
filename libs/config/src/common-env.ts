import { z } from 'zod';

const urlWithProtocols = (protocols: string[], example: string) =>
  z.string().refine(
    (value) => {
      try {
        return protocols.includes(new URL(value).protocol);
      } catch {
        return false;
      }
    },
    { message: `expected a URL like ${example}` },
  );

/** One URL, or a comma-separated list of them (the servers of a cluster). */
const urlListWithProtocols = (protocols: string[], example: string) =>
  z.string().refine(
    (value) =>
      value.split(',').every((part) => {
        try {
          return protocols.includes(new URL(part.trim()).protocol);
        } catch {
          return false;
        }
      }),
    { message: `expected a URL like ${example}` },
  );

/** `{"<STREAM>": {"maxAgeMs": ..., "maxBytes": ..., "maxMsgs": ...}}`: limits a new stream gets. */
const streamLimits = z
  .string()
  .transform((value, ctx) => {
    try {
      return JSON.parse(value) as unknown;
    } catch {
      ctx.addIssue({ code: 'custom', message: 'expected JSON' });
      return z.NEVER;
    }
  })
  .pipe(
    z.record(
      z.string().regex(/^[A-Z0-9_]+$/),
      z
        .object({
          maxAgeMs: z.number().int().min(0).optional(),
          maxBytes: z.number().int().min(-1).optional(),
          maxMsgs: z.number().int().min(-1).optional(),
        })
        .strict(),
    ),
  );

export const port = (fallback: number) =>
  z.coerce.number().int().min(0).max(65535).default(fallback);

/** `true` or `false` (anything else is an error naming the variable). */
export const flag = (fallback: boolean) =>
  z
    .enum(['true', 'false'], { message: 'expected true or false' })
    .default(fallback ? 'true' : 'false')
    .transform((value) => value === 'true');

/** Variables every service reads. */
export const commonEnv = {
  NATS_URL: urlListWithProtocols(['nats:', 'tls:'], 'nats://127.0.0.1:4222').default(
    'nats://127.0.0.1:4222',
  ),
  /** Copies of each JetStream stream a service creates: 3 on a three-node cluster. */
  NATS_STREAM_REPLICAS: z.coerce.number().int().min(1).max(5).default(1),
  /** Per-stream limits for streams created from now on; existing streams keep theirs. */
  STREAM_LIMITS: streamLimits.default({}),
  DATABASE_URL: urlWithProtocols(
    ['postgres:', 'postgresql:'],
    'postgres://postgres@127.0.0.1:5432/postgres',
  ).default('postgres://postgres@127.0.0.1:5432/postgres'),
  /** Interface the HTTP server binds; containers need 0.0.0.0. */
  HOST: z.string().min(1).default('127.0.0.1'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Bound on every request/reply hop, in ms. */
  BUS_TIMEOUT_MS: z.coerce.number().int().positive().default(5000),
  /** The whole request (headers and body) must arrive within this (slow bodies get 408). */
  HTTP_REQUEST_TIMEOUT_MS: z.coerce.number().int().positive().default(60_000),
  /** The request's headers must arrive within this (slowloris); at most the request timeout. */
  HTTP_HEADERS_TIMEOUT_MS: z.coerce.number().int().positive().default(10_000),
  /** An idle kept-alive connection is closed after this; above a balancer's own idle timeout. */
  HTTP_KEEP_ALIVE_TIMEOUT_MS: z.coerce.number().int().positive().default(72_000),
  /** A connection with no bytes either way for this long is closed (event streams send a
   * keep-alive every 15 s, so they stay open). */
  HTTP_IDLE_TIMEOUT_MS: z.coerce.number().int().positive().default(120_000),
  /** `false` drops `GET /metrics` and the per-request HTTP timing (benchmarks compare both). */
  METRICS_ENABLED: z
    .enum(['true', 'false'])
    .default('true')
    .transform((v) => v === 'true'),
};

export type CommonEnv = z.infer<z.ZodObject<typeof commonEnv>>;

/** 32 bytes, base64: the master key that wraps each integration's data key. */
export const base64Key32 = z.string().refine((v) => Buffer.from(v, 'base64').length === 32, {
  message: 'expected 32 bytes in base64',
});
