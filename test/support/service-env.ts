import type { NatsServerFixture, PostgresFixture } from '#libs/testing/src/index.js';

/**
 * The environment a service started in this process (`startService`) needs against a test's own
 * nats-server and database: any free port, no logs. `extra` adds or overrides variables.
 */
export function serviceEnv(
  nats: NatsServerFixture,
  db: PostgresFixture,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    NATS_URL: nats.url,
    DATABASE_URL: db.url,
    PORT: '0',
    LOG_LEVEL: 'silent',
    ...extra,
  };
}
