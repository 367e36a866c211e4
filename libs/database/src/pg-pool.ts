import pg from 'pg';
import { PreparingClient } from './preparing-client.js';

export interface PgPoolOptions {
  url: string;
  applicationName: string;
  max?: number;
  /** Where an idle connection's loss is reported. */
  logger: { warn(fields: object, message: string): void };
}

/**
 * The pg Pool of a service's code that talks to Postgres directly (its event store, its
 * statements batched by hand), built from its `DATABASE_URL` with the same client and bounds as
 * its DataSource (`createDataSource`), never taken out of TypeORM.
 */
export function createPgPool(options: PgPoolOptions): pg.Pool {
  const pool = new pg.Pool({
    Client: PreparingClient,
    connectionString: options.url,
    max: options.max ?? 10,
    application_name: options.applicationName,
    connectionTimeoutMillis: 3_000,
    // A query stuck on a dead server must not hold a command forever.
    query_timeout: 10_000,
  });
  // An idle connection that Postgres ends (a restart, an admin's terminate) is reported on the
  // pool; without a listener that error would end the process. The pool reconnects.
  pool.on('error', (error) =>
    options.logger.warn({ err: error }, 'an idle Postgres connection was closed by the server'),
  );
  return pool;
}
