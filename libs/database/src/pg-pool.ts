import pg from 'pg';
import { PreparingClient } from './preparing-client.js';

/** What every pool of the services shares, TypeORM's (`createDataSource`) and `createPgPool`'s. */
export function pgPoolSettings(max = 10) {
  return {
    Client: PreparingClient,
    max,
    connectionTimeoutMillis: 3_000,
    // A query stuck on a dead server must not hold a request or a command forever.
    query_timeout: 10_000,
  };
}

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
    ...pgPoolSettings(options.max),
    connectionString: options.url,
    application_name: options.applicationName,
  });
  // An idle connection that Postgres ends (a restart, an admin's terminate) is reported on the
  // pool; without a listener that error would end the process. The pool reconnects.
  pool.on('error', (error) =>
    options.logger.warn({ err: error }, 'an idle Postgres connection was closed by the server'),
  );
  return pool;
}
