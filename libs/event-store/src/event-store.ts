import type pg from 'pg';
import { eventStoreTables, type EventStoreTables } from './schema.js';
import { eventStoreAppendDuration } from '#libs/observability/src/metrics/event-store.js';
import { traceFields } from '#libs/observability/src/trace-context.js';
import { VersionConflictError, type NewEvent, type StoredEvent } from './types.js';
import { Upcasters, type Upcaster } from './upcasting.js';

/** A pool or a client inside a transaction: what a statement runs on. */
export type Queryable = Pick<pg.Pool, 'query'> | Pick<pg.PoolClient, 'query'>;

const COLUMNS = `position, stream_id, stream_version, event_id, type, schema_version, data,
  metadata, sealed, occurred_at, recorded_at`;

interface EventRow {
  position: string;
  stream_id: string;
  stream_version: number;
  event_id: string;
  type: string;
  schema_version: number;
  data: unknown;
  metadata: StoredEvent['metadata'];
  sealed: unknown;
  occurred_at: Date;
  recorded_at: Date;
}

/**
 * Append with an expected version, read a stream, read the whole log by position. Appends run on
 * the pool as one statement (its own transaction) or on a caller's client inside a transaction
 * that also appends to other streams or updates state tables.
 */
export class EventStore {
  readonly tables: EventStoreTables;
  private readonly upcasters: Upcasters;

  constructor(
    readonly pool: pg.Pool,
    schema: string,
    upcasters: readonly Upcaster[] = [],
  ) {
    this.tables = eventStoreTables(schema);
    this.upcasters = new Upcasters(upcasters);
  }

  /**
   * Appends `events` after `expectedVersion` (0: the stream must not exist yet). Throws
   * `VersionConflictError` when another writer got there first; inside a transaction that
   * aborts the transaction, so the caller retries the whole unit of work.
   *
   * `pg_current_xact_id()` comes before `nextval()` in each row on purpose: the transaction owns
   * an id before it owns a position, which the publisher's gap handling relies on.
   */
  async append(
    streamId: string,
    expectedVersion: number,
    events: readonly NewEvent[],
    on: Queryable = this.pool,
  ): Promise<StoredEvent[]> {
    if (events.length === 0) return [];
    const started = performance.now();
    const trace = traceFields();
    const values: unknown[] = [];
    const rows = events.map((event, i) => {
      const base = values.length;
      values.push(
        streamId,
        expectedVersion + i + 1,
        event.id,
        event.type,
        event.schemaVersion,
        JSON.stringify(event.data),
        JSON.stringify(trace ? { ...event.metadata, trace } : event.metadata),
        event.sealed === undefined ? null : JSON.stringify(event.sealed),
        event.occurredAt,
      );
      const p = (n: number) => `$${base + n}`;
      return `(pg_current_xact_id(), nextval('${this.tables.positions}'), ${p(1)}, ${p(2)}, ${p(3)},
        ${p(4)}, ${p(5)}, ${p(6)}, ${p(7)}, ${p(8)}, ${p(9)})`;
    });
    try {
      const result = await on.query<{ position: string; recorded_at: Date }>(
        `INSERT INTO ${this.tables.events} (tx_id, position, stream_id, stream_version, event_id,
           type, schema_version, data, metadata, sealed, occurred_at)
         VALUES ${rows.join(', ')} RETURNING position, recorded_at`,
        values,
      );
      eventStoreAppendDuration.observe(
        { schema: this.tables.schema },
        (performance.now() - started) / 1000,
      );
      return events.map((event, i) => ({
        position: result.rows[i]!.position,
        streamId,
        streamVersion: expectedVersion + i + 1,
        id: event.id,
        type: event.type,
        schemaVersion: event.schemaVersion,
        data: event.data,
        metadata: trace ? { ...event.metadata, trace } : event.metadata,
        sealed: event.sealed ?? null,
        occurredAt: event.occurredAt,
        recordedAt: result.rows[i]!.recorded_at.toISOString(),
      }));
    } catch (error) {
      if ((error as { constraint?: string }).constraint === 'events_stream_version_unique') {
        throw new VersionConflictError(streamId, expectedVersion);
      }
      throw error;
    }
  }

  /** A stream in version order; `afterVersion` skips what a snapshot already holds. */
  async readStream(
    streamId: string,
    on: Queryable = this.pool,
    afterVersion = 0,
  ): Promise<StoredEvent[]> {
    const result = await on.query<EventRow>(
      `SELECT ${COLUMNS} FROM ${this.tables.events}
       WHERE stream_id = $1 AND stream_version > $2 ORDER BY stream_version`,
      [streamId, afterVersion],
    );
    return result.rows.map((row) => this.toStored(row));
  }

  /** The newest event of a stream that carries sealed data, if any. */
  async lastSealed(streamId: string, on: Queryable = this.pool): Promise<StoredEvent | undefined> {
    const result = await on.query<EventRow>(
      `SELECT ${COLUMNS} FROM ${this.tables.events}
       WHERE stream_id = $1 AND sealed IS NOT NULL ORDER BY stream_version DESC LIMIT 1`,
      [streamId],
    );
    const row = result.rows[0];
    return row ? this.toStored(row) : undefined;
  }

  /** Events after `position`, in log order. Rows of open transactions are not visible yet. */
  async readAll(
    afterPosition: string,
    limit: number,
    on: Queryable = this.pool,
  ): Promise<StoredEvent[]> {
    const result = await on.query<EventRow>(
      `SELECT ${COLUMNS} FROM ${this.tables.events} WHERE position > $1 ORDER BY position LIMIT $2`,
      [afterPosition, limit],
    );
    return result.rows.map((row) => this.toStored(row));
  }

  toStored(row: EventRow): StoredEvent {
    const { schemaVersion, data } = this.upcasters.apply(row.type, row.schema_version, row.data);
    return {
      position: row.position,
      streamId: row.stream_id,
      streamVersion: row.stream_version,
      id: row.event_id,
      type: row.type,
      schemaVersion,
      data,
      metadata: row.metadata,
      sealed: row.sealed,
      occurredAt: row.occurred_at.toISOString(),
      recordedAt: row.recorded_at.toISOString(),
    };
  }
}
