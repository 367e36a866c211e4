import { createHash } from 'node:crypto';
import type pg from 'pg';
import { eventStoreConflictsRetried } from '#libs/observability/src/metrics/event-store.js';
import type { Logger } from 'pino';
import { fail, isEnvelope, ok, type Envelope, type Reply } from '#libs/contracts/src/index.js';
import type { EventStore, Queryable } from './event-store.js';
import { sql } from './sql.js';
import { EventTooLargeError, VersionConflictError, type StoredEvent } from './types.js';
import { UnitOfWork, type Sealer } from './unit-of-work.js';

const MAX_ATTEMPTS = 8;

/**
 * The one command handler of the decider kit (see `decider.ts`): checks the envelope, answers a
 * repeated idempotency key from its stored reply, runs the work (load, decide) in one
 * transaction, writes what it decided in one statement, commits, and retries from fresh state
 * when another writer got to a stream first. Never throws: an unexpected failure is an
 * `internal` reply, logged.
 */
export class CommandHandler {
  /** Version conflicts retried so far (observability, and proof in tests that retries happen). */
  versionConflictsRetried = 0;

  constructor(
    private readonly pool: pg.Pool,
    private readonly store: EventStore,
    private readonly idempotencyTable: string,
    private readonly logger: Logger,
    /** Told what each command appended, once it committed (the publisher's `wake`). */
    private readonly afterCommit: (appended: readonly StoredEvent[]) => void,
    private readonly seal?: Sealer,
  ) {}

  async run<T>(
    message: unknown,
    command: string,
    work: (uow: UnitOfWork, data: unknown) => Promise<Reply<T>>,
  ): Promise<Reply<T>> {
    const invalid = checkEnvelope(message);
    if (invalid) return invalid;
    const envelope = message as Envelope;
    try {
      const key = envelope.idempotencyKey;
      const hash = key ? requestHash(command, envelope.data) : '';
      if (key) {
        const earlier = await this.remembered<T>(envelope, key, command, hash);
        if (earlier) return earlier;
      }
      let retriedLostConnection = false;
      for (let attempt = 1; ; attempt++) {
        const client = await this.pool.connect();
        // A held connection that the server drops (Postgres dying or restarting) emits 'error'
        // while no query runs on it; unheard, that ends the process. The command's next query
        // fails instead, and the connection is not given back to the pool.
        let lost: Error | undefined;
        const onError = (error: Error) => (lost = error);
        client.on('error', onError);
        const uow = new UnitOfWork(client, this.store, envelope, this.seal);
        let committed: Reply<T> | undefined;
        // From here a lost connection leaves it unknown whether the work committed.
        let mayHaveCommitted = false;
        try {
          if (key) {
            // Duplicates of one keyed request arriving together run one after the other; the
            // later ones find the first one's reply.
            await uow.read(
              sql`SELECT pg_advisory_xact_lock(hashtextextended(${`idempotency:${envelope.workspaceId}:${key}`}, 0))`,
            );
            const earlier = await this.remembered<T>(envelope, key, command, hash, uow.db);
            if (earlier) {
              await client.query('ROLLBACK');
              return earlier;
            }
          }
          const reply = await work(uow, envelope.data);
          if (!reply.ok) {
            if (uow.begun) await client.query('ROLLBACK');
            return reply;
          }
          // Outside a transaction the write commits on its own.
          mayHaveCommitted = !uow.begun;
          const refused = await uow.flush();
          if (refused) {
            await client.query('ROLLBACK');
            return refused;
          }
          const answer = ok(reply.value, uow.lastPosition ?? reply.position);
          if (key) {
            const saved = await uow.db.query(
              `INSERT INTO ${this.idempotencyTable} (workspace_id, key, command, request_hash, reply)
               VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`,
              [envelope.workspaceId, key, command, hash, JSON.stringify(answer)],
            );
            if (saved.rowCount === 0) {
              // The same key won a race in another transaction: answer what it answered.
              await client.query('ROLLBACK');
              return (await this.remembered<T>(envelope, key, command, hash))!;
            }
          }
          mayHaveCommitted = true;
          if (uow.begun) await client.query('COMMIT');
          committed = answer;
          if (uow.appended.length > 0) this.afterCommit(uow.appended);
          return committed;
        } catch (error) {
          if (!committed && uow.begun) await client.query('ROLLBACK').catch(() => undefined);
          const broken = lost !== undefined || connectionLost(error);
          // Never back to the pool: the next command would find it dead too.
          if (broken) lost ??= error as Error;
          // A pooled connection whose end Postgres had sent but the pool had not read yet (a
          // restart, an admin's terminate): nothing committed, so the work runs once more on a
          // fresh connection.
          if (broken && !mayHaveCommitted && !retriedLostConnection) {
            retriedLostConnection = true;
            continue;
          }
          if (isRetryable(error) && attempt < MAX_ATTEMPTS) {
            if (error instanceof VersionConflictError) {
              this.versionConflictsRetried++;
              eventStoreConflictsRetried.inc({ schema: this.store.tables.schema });
            }
            await new Promise((r) => setTimeout(r, Math.random() * 5 * attempt));
            continue;
          }
          if (isRetryable(error)) {
            return fail(
              'conflict',
              'concurrent_modification',
              'the resource kept changing while this command ran; retry it',
            );
          }
          if (error instanceof EventTooLargeError) {
            return fail('payload_too_large', 'event_too_large', error.message, {
              limitBytes: error.limit,
              bytes: error.bytes,
            });
          }
          throw error;
        } finally {
          client.off('error', onError);
          client.release(lost);
        }
      }
    } catch (error) {
      this.logger.error({ err: error, command }, 'command failed');
      return fail('internal', 'internal_error', 'the command failed unexpectedly');
    }
  }

  /** Runs a read-only query with the same envelope checks and error handling. */
  async query<T>(
    message: unknown,
    work: (envelope: Envelope) => Promise<Reply<T>>,
  ): Promise<Reply<T>> {
    const invalid = checkEnvelope(message);
    if (invalid) return invalid;
    try {
      return await work(message as Envelope);
    } catch (error) {
      this.logger.error({ err: error }, 'query failed');
      return fail('internal', 'internal_error', 'the query failed unexpectedly');
    }
  }

  private async remembered<T>(
    envelope: Envelope,
    key: string,
    command: string,
    hash: string,
    on: Queryable = this.pool,
  ): Promise<Reply<T> | undefined> {
    const { rows } = await on.query<{
      command: string;
      request_hash: string;
      reply: Reply<T>;
    }>(
      `SELECT command, request_hash, reply FROM ${this.idempotencyTable}
       WHERE workspace_id = $1 AND key = $2`,
      [envelope.workspaceId, key],
    );
    const row = rows[0];
    if (!row) return undefined;
    if (row.command !== command || row.request_hash !== hash) {
      return fail(
        'conflict',
        'idempotency_key_reused',
        'this idempotency key was already used for a different request',
      );
    }
    return row.reply;
  }
}

function checkEnvelope(message: unknown): Reply<never> | undefined {
  if (!isEnvelope(message)) {
    return fail('validation', 'invalid_envelope', 'expected a message envelope');
  }
  if (typeof message.workspaceId !== 'string' || message.workspaceId.length === 0) {
    return fail('validation', 'workspace_required', 'the envelope names no workspace', [
      { field: 'workspaceId', message: 'required' },
    ]);
  }
  return undefined;
}

/**
 * The connection itself broke: Postgres ended the session (57P01..57P03, shutting down or
 * terminated), or node-postgres found it cut.
 */
function connectionLost(error: unknown): boolean {
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (typeof code === 'string' && ['57P01', '57P02', '57P03'].includes(code)) return true;
  return (
    typeof message === 'string' &&
    (message.includes('Connection terminated') || message.includes('not queryable'))
  );
}

/** Another writer won (stream version), or Postgres chose this transaction to give way. */
function isRetryable(error: unknown): boolean {
  if (error instanceof VersionConflictError) return true;
  const code = (error as { code?: string }).code;
  return code === '40P01' || code === '40001';
}

function requestHash(command: string, data: unknown): string {
  return createHash('sha256')
    .update(command)
    .update(JSON.stringify(data ?? null))
    .digest('hex');
}
