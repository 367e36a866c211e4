import { z } from 'zod';
import { PROVIDERS } from '#libs/contracts/src/index.js';
import { base64Key32, flag, keyring, port, type CommonEnv } from '#libs/config/src/index.js';

/** Each provider's API base URL for the health check, e.g. SLACK_API_URL; defaults in the catalog. */
const providerApiUrls = Object.fromEntries(
  PROVIDERS.map((p) => [p.api.baseUrlEnv, z.url().optional()]),
) as Record<string, z.ZodOptional<z.ZodURL>>;

/** The integration service's environment, beside the variables every service reads. */
export const integrationServiceEnv = {
  PORT: port(3001),
  /**
   * 32 bytes, base64: wraps every integration's data key (a keyring of one, id `primary`).
   * This or CREDENTIALS_MASTER_KEYS is required: no default key exists (see MasterKeyring).
   */
  CREDENTIALS_MASTER_KEY: base64Key32.optional(),
  /** The keyring `id:base64,...` for rotation: the first key is current. */
  CREDENTIALS_MASTER_KEYS: keyring.optional(),
  /** Connections of the write side's pool. */
  DATABASE_POOL_SIZE: z.coerce.number().int().positive().default(10),
  /** How often the publisher looks for events appended by other replicas. */
  EVENT_PUBLISH_POLL_MS: z.coerce.number().int().positive().default(20),
  GITHUB_APP_ID: z.string().regex(/^\d+$/, 'expected the numeric app id').optional(),
  GITHUB_APP_PRIVATE_KEY: z.string().optional(),
  GITHUB_APP_PRIVATE_KEY_PATH: z.string().optional(),
  PROVIDER_HEALTH_TIMEOUT_MS: z.coerce.number().int().positive().default(5000),
  /** Bound on each provider call a rule's check or action makes. */
  PROVIDER_CALL_TIMEOUT_MS: z.coerce.number().int().positive().default(5000),
  /**
   * A GitHub connect names an installation this workspace's install flow verified. `false` lets
   * a bare `{installationId, accountLogin}` connect (the sandbox and tests), other checks stay.
   */
  GITHUB_CONNECT_REQUIRES_INSTALL_FLOW: flag(true),
  /** Registry URLs users supply may use http (default: https only). */
  PROVIDER_URL_ALLOW_HTTP: flag(false),
  /** ...and may point at private, loopback or link-local addresses: on-premise registries. */
  PROVIDER_URL_ALLOW_PRIVATE_ADDRESSES: flag(false),
  ...providerApiUrls,
};

export type IntegrationServiceConfig = z.infer<z.ZodObject<typeof integrationServiceEnv>> &
  CommonEnv;
