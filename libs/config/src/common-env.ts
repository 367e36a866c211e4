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
  /**
   * The service's own bus user and password (one user per service, see BUS_USERS); unset for a
   * bus without authorization.
   */
  NATS_USER: z.string().min(1).optional(),
  NATS_PASSWORD: z.string().min(1).optional(),
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
  /**
   * The proxies that may speak for the client with `X-Forwarded-For` (Fastify's `trustProxy`),
   * as a comma-separated list of addresses and CIDRs (the balancer's). Unset trusts none, so a
   * client cannot choose the address its rate limits count against. `true` (any hop) is refused
   * for the same reason.
   */
  TRUST_PROXY: z
    .string()
    .trim()
    .refine((v) => v !== 'true', 'name the proxies: addresses or CIDRs, comma-separated')
    .optional()
    .transform((v): false | string[] =>
      v === undefined || v === '' || v === 'false' ? false : v.split(',').map((e) => e.trim()),
    ),
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

/**
 * Keys that were printed in this repository's examples at some point (the old docker-compose
 * default among them): anyone can read them, so no service accepts one. All-zero is there too.
 */
export const SAMPLE_KEYS: readonly string[] = [
  'c2V0LWEtcmVhbC1rZXktYmVmb3JlLXByb2R1Y3Rpb24=',
  Buffer.alloc(32).toString('base64'),
];

const isSampleKey = (value: string) =>
  SAMPLE_KEYS.some((sample) => Buffer.from(sample, 'base64').equals(Buffer.from(value, 'base64')));

/** 32 bytes, base64, and not a published sample: a key that wraps or signs secrets. */
export const base64Key32 = z
  .string()
  .refine((v) => Buffer.from(v, 'base64').length === 32, {
    message: 'expected 32 bytes in base64',
  })
  .refine((v) => !isSampleKey(v), {
    message: 'is a published sample key; make your own with `openssl rand -base64 32`',
  });

export interface RingKey {
  id: string;
  key: Buffer;
}

const KEY_ID = /^[A-Za-z0-9_.-]{1,32}$/;

/**
 * A keyring, `id1:base64,id2:base64`: the first key is current (wraps everything new), the
 * others still unwrap what they wrapped until a rotation re-wraps it.
 */
export const keyring = z.string().transform((value, context): RingKey[] => {
  const keys: RingKey[] = [];
  for (const entry of value.split(',').map((e) => e.trim())) {
    const [id, material, ...rest] = entry.split(':');
    const problem =
      rest.length > 0 || !id || !material
        ? `expected id:base64 entries separated by commas`
        : !KEY_ID.test(id)
          ? `key id "${id}" must be 1-32 letters, digits, _ . -`
          : keys.some((k) => k.id === id)
            ? `key id "${id}" appears twice`
            : Buffer.from(material, 'base64').length !== 32
              ? `key "${id}" is not 32 bytes in base64`
              : isSampleKey(material)
                ? `key "${id}" is a published sample key; make your own with \`openssl rand -base64 32\``
                : undefined;
    if (problem) {
      context.addIssue({ code: 'custom', message: problem });
      return z.NEVER;
    }
    keys.push({ id: id!, key: Buffer.from(material!, 'base64') });
  }
  return keys;
});
