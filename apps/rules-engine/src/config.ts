import { z } from 'zod';
import { flag, port, type CommonEnv } from '#libs/config/src/index.js';

export const engineEnv = {
  PORT: port(3003),
  /** Commit status contexts read `<prefix>/<policy slug>`. */
  POLICY_STATUS_PREFIX: z
    .string()
    .regex(/^[\w.-]{1,40}$/, 'expected a short name like tinyops')
    .default('tinyops'),
  /**
   * The GitHub App's slug (the gateway's install flow reads the same variable). GitHub sends the
   * deliveries of what the App did with its installation token as sent by `<slug>[bot]`; those
   * start no rule or policy, so a rule's own action (an issue it opens, a comment or label it
   * adds) does not start it again. The default is the GitHub simulator's App
   * (tools/github-simulator); set the real App's slug wherever the engine talks to GitHub.
   */
  GITHUB_APP_SLUG: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]{0,99}$/, 'expected the App slug')
    .default('integrations-platform-sim'),
  /** The gateway's public URL, for a status's link to its run. */
  RULES_PUBLIC_URL: z.url().default('http://127.0.0.1:3000'),
  /** Bound on each provider call over the bus (the integration service bounds the provider's). */
  ENGINE_PROVIDER_TIMEOUT_MS: z.coerce.number().int().positive().default(10_000),
  /** Deliveries evaluated at once per replica. */
  ENGINE_CONCURRENCY: z.coerce.number().int().min(1).max(256).default(32),
  /** A replica that dies holds a delivery this long before another replica takes it. */
  ENGINE_ACK_WAIT_MS: z.coerce.number().int().min(1_000).default(30_000),
  POLICY_BREAKER_OPEN_MS: z.coerce
    .number()
    .int()
    .positive()
    .default(30 * 60_000),
  POLICY_BREAKER_WINDOW_MS: z.coerce
    .number()
    .int()
    .positive()
    .default(60 * 60_000),
  /** How often a replica looks for due schedules and polls. */
  SCHEDULE_TICK_MS: z.coerce.number().int().min(100).default(5_000),
  /** Due times missed while no replica ran are still fired when at most this old. */
  SCHEDULE_CATCH_UP_MS: z.coerce
    .number()
    .int()
    .min(0)
    .default(60 * 60_000),
  SCHEDULES_ENABLED: flag(true),
};

export type EngineConfig = z.infer<z.ZodObject<typeof engineEnv>> & CommonEnv;
