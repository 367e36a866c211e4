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
  /** The whole request (headers and body) must arrive within this (slow bodies get 408). */
  HTTP_REQUEST_TIMEOUT_MS: z.coerce.number().int().positive().default(60_000),
  /** The request's headers must arrive within this (slowloris); at most the request timeout. */
  HTTP_HEADERS_TIMEOUT_MS: z.coerce.number().int().positive().default(10_000),
  /** An idle kept-alive connection is closed after this; above a balancer's own idle timeout. */
  HTTP_KEEP_ALIVE_TIMEOUT_MS: z.coerce.number().int().positive().default(72_000),
  /** A connection with no bytes either way for this long is closed (event streams send a
   * keep-alive every 15 s, so they stay open). */
  HTTP_IDLE_TIMEOUT_MS: z.coerce.number().int().positive().default(120_000),
};

export type CommonEnv = z.infer<z.ZodObject<typeof commonEnv>>;

/** 32 bytes, base64: the master key that wraps each integration's data key. */
export const base64Key32 = z.string().refine((v) => Buffer.from(v, 'base64').length === 32, {
  message: 'expected 32 bytes in base64',
});
