import { randomBytes } from 'node:crypto';
import pg from 'pg';

const ADMIN_URL =
  process.env.TEST_DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** A fresh database per test file on the real server, dropped afterwards. */
export class PostgresFixture {
  private constructor(
    readonly name: string,
    readonly url: string,
  ) {}

  static async create(prefix = 'test'): Promise<PostgresFixture> {
    const name = `${prefix}_${randomBytes(6).toString('hex')}`;
    await withAdmin((client) => client.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`));
    const url = new URL(ADMIN_URL);
    url.pathname = `/${name}`;
    return new PostgresFixture(name, url.toString());
  }

  /** A short-lived client for assertions on raw rows. */
  async query<T extends pg.QueryResultRow = pg.QueryResultRow>(
    sql: string,
    params: unknown[] = [],
  ): Promise<T[]> {
    const client = new pg.Client({ connectionString: this.url });
    await client.connect();
    try {
      return (await client.query<T>(sql, params)).rows;
    } finally {
      await client.end();
    }
  }

  async dispose(): Promise<void> {
    await withAdmin((client) =>
      client.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(this.name)} WITH (FORCE)`),
    );
  }
}

async function withAdmin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: ADMIN_URL });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}
