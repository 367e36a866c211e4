import type pg from 'pg';
import { eventStoreTables, type EventStoreTables } from './schema.js';
import { eventStoreAppendDuration } from '#libs/observability/src/metrics/event-store.js';
import { traceFields } from '#libs/observability/src/trace-context.js';
import { join, sql, type Sql } from './sql.js';
import { BUS_LIMITS } from '#libs/contracts/src/index.js';
import {
  EventTooLargeError,
  VersionConflictError,
  type NewEvent,
  type StoredEvent,
} from './types.js';
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
   * Each row takes the transaction's id before its position: a writer holding a position must
   * show in `pg_locks` with its transaction id, or the publisher's gap handling takes its
   * missing position for abandoned. A CASE forces that order: PostgreSQL evaluates a one-row
   * INSERT's values in the table's column order (`position` before `tx_id`), not the listed one.
   */
  async append(
    streamId: string,
    expectedVersion: number,
    events: readonly NewEvent[],
    on: Queryable = this.pool,
  ): Promise<StoredEvent[]> {
    return this.write([{ streamId, expectedVersion, events }], [], on);
  }

  /**
   * One statement that appends to every stream in `appends` (each after its expected version)
   * and runs `stateRows` (state tables kept in step with the log) with it: all of it commits,
   * or, when another writer got to one of the streams first, none of it and
   * `VersionConflictError` is thrown. `guards` run with it too (each with a RETURNING clause);
   * the answer says how many rows each returned, so that a caller inside a transaction can roll
   * it all back when one returned none.
   */
  async write(
    appends: readonly { streamId: string; expectedVersion: number; events: readonly NewEvent[] }[],
    stateRows: readonly Sql[],
    on: Queryable = this.pool,
    guards: readonly Sql[] = [],
  ): Promise<StoredEvent[] & { guarded?: number[] }> {
    const rows = appends.flatMap(({ streamId, expectedVersion, events }) =>
      events.map((event, i) => ({ streamId, streamVersion: expectedVersion + i + 1, event })),
    );
    if (rows.length === 0) return [];
    const started = performance.now();
    // The trace that appended it travels on with the event (see jetStreamSink).
    const trace = traceFields();
    const metadataOf = (event: NewEvent) => (trace ? { ...event.metadata, trace } : event.metadata);
    // Every event must fit on the bus later: one too large is refused now, before any is written.
    const encoded = rows.map(({ event }) => {
      const data = JSON.stringify(event.data);
      const metadata = JSON.stringify(metadataOf(event));
      const bytes = Buffer.byteLength(data) + Buffer.byteLength(metadata);
      if (bytes > BUS_LIMITS.eventBytes) {
        throw new EventTooLargeError(event.type, bytes, BUS_LIMITS.eventBytes);
      }
      return { data, metadata };
    });
    const values = rows.map(
      ({ streamId, streamVersion, event }, i) =>
        // The transaction's id before the position: see `append`.
        sql`(pg_current_xact_id(),
          CASE WHEN pg_current_xact_id() IS NOT NULL
            THEN nextval(${this.tables.positions}::regclass) END,
          ${streamId}, ${streamVersion}::int, ${event.id}::uuid, ${event.type},
          ${event.schemaVersion}::int, ${encoded[i]!.data}::jsonb, ${encoded[i]!.metadata}::jsonb,
          ${event.sealed === undefined ? null : JSON.stringify(event.sealed)}::jsonb,
          ${event.occurredAt}::timestamptz)`,
    );
    const statement = join([...values, ...stateRows, ...guards], (texts) => {
      const inserts = texts.slice(0, values.length).join(',\n');
      const writes = texts
        .slice(values.length, values.length + stateRows.length)
        .map((text, i) => `, state_${i} AS (${text})`);
      const guarded = texts
        .slice(values.length + stateRows.length)
        .map((text, i) => `, guard_${i} AS (${text})`);
      const counts = guards.map((_, i) => `, (SELECT count(*)::int FROM guard_${i}) AS guard_${i}`);
      return `WITH appended AS (
          INSERT INTO ${this.tables.events} (tx_id, position, stream_id, stream_version,
            event_id, type, schema_version, data, metadata, sealed, occurred_at)
          VALUES ${inserts} RETURNING position, recorded_at, event_id)
        ${writes.join('\n')} ${guarded.join('\n')}
        SELECT position, recorded_at, event_id ${counts.join('')} FROM appended ORDER BY position`;
    });
    let result: pg.QueryResult<
      { position: string; recorded_at: Date; event_id: string } & Record<string, unknown>
    >;
    try {
      result = await on.query(statement.text, statement.values);
      eventStoreAppendDuration.observe(
        { schema: this.tables.schema },
        (performance.now() - started) / 1000,
      );
    } catch (error) {
      const { constraint, detail } = error as { constraint?: string; detail?: string };
      if (constraint === 'events_stream_version_unique') {
        const streamId = /=\((.+), (\d+)\)/.exec(detail ?? '')?.[1] ?? rows[0]!.streamId;
        const append = appends.find((a) => a.streamId === streamId) ?? appends[0]!;
        throw new VersionConflictError(streamId, append.expectedVersion);
      }
      throw error;
    }
    const byId = new Map(result.rows.map((row) => [row.event_id, row]));
    const stored: StoredEvent[] & { guarded?: number[] } = rows.map(
      ({ streamId, streamVersion, event }) => {
        const row = byId.get(event.id)!;
        return {
          position: row.position,
          streamId,
          streamVersion,
          id: event.id,
          type: event.type,
          schemaVersion: event.schemaVersion,
          data: event.data,
          metadata: metadataOf(event),
          sealed: event.sealed ?? null,
          occurredAt: event.occurredAt,
          recordedAt: row.recorded_at.toISOString(),
        };
      },
    );
    if (guards.length > 0)
      stored.guarded = guards.map((_, i) => result.rows[0]![`guard_${i}`] as number);
    return stored;
  }

  /**
   * The statement that loads aggregates in one round trip: for each row of `selector` (columns
   * `id`, `snapshot`, `snapshot_schema`; a null snapshot for an instance without a state row),
   * its snapshot when current and the events of its stream after it (`tail`, oldest first).
   */
  loadStatement(aggregate: { streamPrefix: string; snapshotSchema: number }, selector: Sql): Sql {
    return join(
      [selector, sql`${aggregate.snapshotSchema}::int`, sql`${aggregate.streamPrefix}::text`],
      ([select, schema, prefix]) => `
        SELECT s.id::text AS id,
          CASE WHEN s.snapshot_schema = ${schema} THEN s.snapshot END AS snapshot,
          (SELECT coalesce(json_agg(json_build_object('position', e.position::text,
              'streamId', e.stream_id, 'streamVersion', e.stream_version, 'id', e.event_id,
              'type', e.type, 'schemaVersion', e.schema_version, 'data', e.data,
              'metadata', e.metadata, 'sealed', e.sealed, 'occurredAt', e.occurred_at,
              'recordedAt', e.recorded_at) ORDER BY e.stream_version), '[]'::json)
            FROM ${this.tables.events} e
            WHERE e.stream_id = ${prefix} || s.id::text AND e.stream_version >
              CASE WHEN s.snapshot_schema = ${schema}
                THEN coalesce((s.snapshot->>'version')::int, 0) ELSE 0 END) AS tail
        FROM (${select}) s`,
    );
  }

  /** A `tail` entry of `loadStatement`, upcast like any event read back. */
  fromTail(entry: Omit<StoredEvent, 'sealed'> & { sealed: unknown }): StoredEvent {
    const { schemaVersion, data } = this.upcasters.apply(
      entry.type,
      entry.schemaVersion,
      entry.data,
    );
    return {
      ...entry,
      schemaVersion,
      data,
      occurredAt: new Date(entry.occurredAt).toISOString(),
      recordedAt: new Date(entry.recordedAt).toISOString(),
    };
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
