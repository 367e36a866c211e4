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
  NATS_URL: urlWithProtocols(['nats:', 'tls:'], 'nats://127.0.0.1:4222').default(
    'nats://127.0.0.1:4222',
  ),
  DATABASE_URL: urlWithProtocols(
    ['postgres:', 'postgresql:'],
    'postgres://postgres@127.0.0.1:5432/postgres',
  ).default('postgres://postgres@127.0.0.1:5432/postgres'),
  /** Interface the HTTP server binds; containers need 0.0.0.0. */
  HOST: z.string().min(1).default('127.0.0.1'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Bound on every request/reply hop, in ms. */
  BUS_TIMEOUT_MS: z.coerce.number().int().positive().default(5000),
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
