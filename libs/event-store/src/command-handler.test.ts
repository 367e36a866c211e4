import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import pg from 'pg';
import { createEnvelope, ok } from '#libs/contracts/src/index.js';
import { createLogger } from '#libs/logging/src/index.js';
import { PostgresFixture, waitFor } from '#libs/testing/src/index.js';
import { CommandHandler, EventStore, eventStoreSchemaSql, sql } from './index.js';

describe('a command whose connection the server drops while the command holds it', () => {
  let db: PostgresFixture;
  let pool: pg.Pool;

  beforeAll(async () => {
    db = await PostgresFixture.create('command_handler');
    pool = new pg.Pool({ connectionString: db.url, max: 2 });
    // The pool's idle connections are the service's to watch (write-side.module.ts does).
    pool.on('error', () => undefined);
    await pool.query('CREATE SCHEMA cmd');
    for (const statement of eventStoreSchemaSql('cmd')) await pool.query(statement);
  });
  afterAll(async () => {
    await pool.end();
    await db.dispose();
  });

  test('is answered as failed, and the process lives on', async () => {
    // Given a command that has read on its connection and now waits (as for a provider's answer)
    const handler = new CommandHandler(
      pool,
      new EventStore(pool, 'cmd'),
      'cmd.idempotency_keys',
      createLogger('command-handler-test', 'silent'),
      () => undefined,
    );
    let resume!: () => void;
    const waiting = new Promise<void>((r) => (resume = r));
    let pid: number | undefined;
    const answer = handler.run(
      createEnvelope({ type: 'test.cmd', data: {}, workspaceId: randomUUID() }),
      'test',
      async (uow) => {
        const [result] = await uow.read(sql`SELECT pg_backend_pid() AS pid`);
        pid = result!.rows[0].pid;
        await waiting;
        return ok('done');
      },
    );
    await waitFor(() => pid);

    // When the server ends that connection (as a Postgres that dies or restarts does)
    const [ended] = await db.query<{ ended: boolean }>('SELECT pg_terminate_backend($1) AS ended', [
      pid,
    ]);
    expect(ended!.ended).toBe(true);
    // ...and the client has heard of it before the command goes on
    await new Promise((r) => setTimeout(r, 200));
    resume();

    // Then the command is answered (not ok), and the next one runs on a fresh connection
    expect((await answer).ok).toBe(false);
    const next = await handler.run(
      createEnvelope({ type: 'test.cmd', data: {}, workspaceId: randomUUID() }),
      'test',
      async () => ok('again'),
    );
    expect(next).toMatchObject({ ok: true });
  });
});

describe('a command handed a pooled connection whose end the pool has not read yet', () => {
  let db: PostgresFixture;
  let pool: pg.Pool;

  beforeAll(async () => {
    db = await PostgresFixture.create('command_handler_stale');
    pool = new pg.Pool({ connectionString: db.url, max: 1 });
    pool.on('error', () => undefined);
    await pool.query('CREATE SCHEMA cmd');
    for (const statement of eventStoreSchemaSql('cmd')) await pool.query(statement);
  });
  afterAll(async () => {
    await pool.end();
    await db.dispose();
  });

  test('runs once more on a fresh connection and is answered', async () => {
    // Given the pool's only idle connection, ended by the server (a restart, an admin's
    // terminate) while its socket is not being read, as when the command comes first
    type Socketed = pg.PoolClient & { connection: { stream: NodeJS.ReadableStream } };
    const idle = (await pool.connect()) as Socketed;
    const { rows } = await idle.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    idle.connection.stream.pause();
    idle.release();
    await db.query('SELECT pg_terminate_backend($1)', [rows[0]!.pid]);
    await new Promise((r) => setTimeout(r, 100));
    // The socket is read again once the command has the connection and has sent its first query.
    pool.once('acquire', (client) =>
      setImmediate(() => (client as Socketed).connection.stream.resume()),
    );
    const handler = new CommandHandler(
      pool,
      new EventStore(pool, 'cmd'),
      'cmd.idempotency_keys',
      createLogger('command-handler-test', 'silent'),
      () => undefined,
    );

    // When a command reads on it
    const pids: number[] = [];
    const answer = await handler.run(
      createEnvelope({ type: 'test.cmd', data: {}, workspaceId: randomUUID() }),
      'test',
      async (uow) => {
        const [result] = await uow.read(sql`SELECT pg_backend_pid() AS pid`);
        pids.push(result!.rows[0].pid);
        return ok('done');
      },
    );

    // Then it is answered from a fresh connection, the dead one gone from the pool
    expect(answer).toMatchObject({ ok: true, value: 'done' });
    expect(pids).toHaveLength(1);
    expect(pids[0]).not.toBe(rows[0]!.pid);
    expect(pool.totalCount).toBe(1);
  });
});
