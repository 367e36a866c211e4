import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import pg from 'pg';
import { PostgresFixture } from '#libs/testing/src/index.js';
import {
  MAX_PREPARED_PER_CONNECTION,
  MAX_PREPARED_TEXT,
  PreparingClient,
} from './preparing-client.js';

/** What the one connection of `pool` has prepared, as Postgres lists it. */
async function preparedOn(pool: pg.Pool): Promise<string[]> {
  const { rows } = await pool.query<{ statement: string }>(
    'SELECT statement FROM pg_prepared_statements ORDER BY prepare_time',
  );
  return rows.map((r) => r.statement);
}

describe('PreparingClient', () => {
  let db: PostgresFixture;
  let pool: pg.Pool;

  beforeAll(async () => {
    db = await PostgresFixture.create('preparing_client');
    // One connection, so every statement below runs on the same session.
    pool = new pg.Pool({ connectionString: db.url, max: 1, Client: PreparingClient });
    await pool.query('CREATE TABLE runs (id int PRIMARY KEY, outcome text)');
  });
  afterAll(async () => {
    await pool.end();
    await db.dispose();
  });

  test('a statement with parameters is prepared once and answers as before, however it is called', async () => {
    const insert = 'INSERT INTO runs (id, outcome) VALUES ($1, $2) RETURNING id';
    expect((await pool.query(insert, [1, 'matched'])).rows).toEqual([{ id: 1 }]);
    const client = await pool.connect();
    try {
      expect((await client.query(insert, [2, 'failed'])).rows).toEqual([{ id: 2 }]);
      const viaCallback = await new Promise<pg.QueryResult>((resolve, reject) =>
        client.query(insert, [3, 'skipped'], (error: Error | null, result: pg.QueryResult) =>
          error ? reject(error) : resolve(result),
        ),
      );
      expect(viaCallback.rows).toEqual([{ id: 3 }]);
    } finally {
      client.release();
    }
    expect((await preparedOn(pool)).filter((s) => s === insert)).toHaveLength(1);
  });

  test('text without parameters, several statements in one, or a long text runs unprepared', async () => {
    await pool.query('BEGIN; UPDATE runs SET outcome = outcome; COMMIT');
    const long = `SELECT $1::int AS n -- ${'x'.repeat(MAX_PREPARED_TEXT)}`;
    expect((await pool.query(long, [7])).rows).toEqual([{ n: 7 }]);
    const prepared = await preparedOn(pool);
    expect(prepared).not.toContain('BEGIN; UPDATE runs SET outcome = outcome; COMMIT');
    expect(prepared).not.toContain(long);
  });

  test('an error in a prepared statement is the error Postgres gave, and the statement still works', async () => {
    const insert = 'INSERT INTO runs (id, outcome) VALUES ($1, $2)';
    await pool.query(insert, [10, 'matched']);
    await expect(pool.query(insert, [10, 'again'])).rejects.toMatchObject({
      code: '23505',
      constraint: 'runs_pkey',
    });
    await pool.query(insert, [11, 'matched']);
    expect(
      (await pool.query('SELECT count(*)::int AS n FROM runs WHERE id > $1', [9])).rows,
    ).toEqual([{ n: 2 }]);
  });

  test('a statement of `*` columns runs unprepared: a migration may add a column meanwhile', async () => {
    const star = 'SELECT * FROM runs WHERE id = $1';
    expect((await pool.query(star, [1])).rows).toEqual([{ id: 1, outcome: 'matched' }]);
    const returning = 'UPDATE runs SET outcome = $2 WHERE id = $1 RETURNING *';
    expect((await pool.query(returning, [1, 'matched'])).rows).toHaveLength(1);
    const prepared = await preparedOn(pool);
    expect(prepared).not.toContain(star);
    expect(prepared).not.toContain(returning);
  });

  test('given a column whose type a migration changed, its prepared read fails once, then runs unprepared', async () => {
    await pool.query('CREATE TABLE checks (id int PRIMARY KEY, actual text)');
    await pool.query('INSERT INTO checks VALUES (1, $1)', ['42']);
    const read = 'SELECT actual FROM checks WHERE id = $1';
    expect((await pool.query(read, [1])).rows).toEqual([{ actual: '42' }]);

    await pool.query('ALTER TABLE checks ALTER COLUMN actual TYPE int USING actual::int');

    await expect(pool.query(read, [1])).rejects.toThrow(/cached plan must not change result type/);
    expect((await pool.query(read, [1])).rows).toEqual([{ actual: 42 }]);
  });

  test('a connection prepares a bounded number of texts; the rest run unprepared', async () => {
    for (let i = 0; i < MAX_PREPARED_PER_CONNECTION + 20; i++) {
      await pool.query(`SELECT $1::int + ${i} AS n`, [1]);
    }
    const prepared = await preparedOn(pool);
    expect(prepared.length).toBe(MAX_PREPARED_PER_CONNECTION);
    expect((await pool.query(`SELECT $1::int + 100000 AS n`, [1])).rows).toEqual([{ n: 100001 }]);
  });
});
