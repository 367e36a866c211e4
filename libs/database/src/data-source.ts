import pg from 'pg';
import { DataSource, type MigrationInterface } from 'typeorm';
import { pgPoolSettings } from './pg-pool.js';

export type MigrationClass = new () => MigrationInterface;

export interface DatabaseOptions {
  url: string;
  /** The service's own schema; no service reads another's. */
  schema: string;
  migrations: MigrationClass[];
  poolSize?: number;
  applicationName: string;
  /**
   * Commits return before the WAL reaches disk (`synchronous_commit = off`, for the pool's
   * sessions only): for derived rows that a crash may lose together with their checkpoint, to be
   * rebuilt from the log, never for the log itself.
   */
  asyncCommit?: boolean;
}

export function createDataSource(options: DatabaseOptions): DataSource {
  return new DataSource({
    type: 'postgres',
    url: options.url,
    schema: options.schema,
    migrations: options.migrations,
    migrationsTableName: 'migrations',
    migrationsTransactionMode: 'all',
    synchronize: false,
    logging: false,
    applicationName: options.applicationName,
    extra: {
      ...pgPoolSettings(options.poolSize),
      ...(options.asyncCommit ? { options: '-c synchronous_commit=off' } : {}),
    },
  });
}

/**
 * Creates the schema and runs pending migrations under an advisory lock, so replicas that start
 * together migrate once.
 */
export async function migrate(dataSource: DataSource, schema: string): Promise<void> {
  const lockKey = hashToInt(`migrate:${schema}`);
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SELECT pg_advisory_lock($1)', [lockKey]);
    await runner.query(`CREATE SCHEMA IF NOT EXISTS ${pg.escapeIdentifier(schema)}`);
    await dataSource.runMigrations({ transaction: 'all' });
  } finally {
    await runner.query('SELECT pg_advisory_unlock($1)', [lockKey]).catch(() => undefined);
    await runner.release();
  }
}

function hashToInt(text: string): number {
  let hash = 0;
  for (const char of text) hash = (Math.imul(hash, 31) + char.charCodeAt(0)) | 0;
  return hash;
}
