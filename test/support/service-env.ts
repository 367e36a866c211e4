import { randomBytes } from 'node:crypto';

/**
 * The secrets every service of one test file reads alike: the integration service decrypts what
 * another replica sealed, and the gateway's signatures must verify on every replica.
 */
const SECRETS = {
  CREDENTIALS_MASTER_KEY: randomBytes(32).toString('base64'),
  GATEWAY_SIGNING_KEY: randomBytes(32).toString('base64'),
};

/**
 * The environment a service needs against a test's own nats-server and database, whether it
 * runs in this process (`startService`) or as its own (`spawnService`): any free port, no logs,
 * the file's secrets. `extra` adds or overrides variables.
 */
export function serviceEnv(
  nats: { url: string },
  db: { url: string },
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    NATS_URL: nats.url,
    DATABASE_URL: db.url,
    PORT: '0',
    LOG_LEVEL: 'silent',
    ...SECRETS,
    ...extra,
  };
}
