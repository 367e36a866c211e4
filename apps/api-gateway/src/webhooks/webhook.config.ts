import { z } from 'zod';

/**
 * The gateway's webhook variables. Without `GITHUB_WEBHOOK_SECRET` no delivery can be verified,
 * so every delivery is refused (401); `..._PREVIOUS` is accepted too while a rotation is under way.
 */
export const webhookEnv = {
  GITHUB_WEBHOOK_SECRET: z.string().min(1).optional(),
  GITHUB_WEBHOOK_SECRET_PREVIOUS: z.string().min(1).optional(),
  /** Bodies above this answer 413; GitHub caps payloads at 25 MB. */
  GITHUB_WEBHOOK_BODY_LIMIT_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(25 * 1024 * 1024),
  /** How long intake waits for JetStream to store a delivery before answering 503. */
  GITHUB_WEBHOOK_PUBLISH_TIMEOUT_MS: z.coerce.number().int().positive().default(3_000),
  /** How long an accepted body stays known, so a replay of it under a new id is a duplicate. */
  GITHUB_WEBHOOK_REPLAY_WINDOW_HOURS: z.coerce.number().int().positive().default(72),
};

export type WebhookConfig = z.infer<z.ZodObject<typeof webhookEnv>>;
