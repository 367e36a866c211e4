import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { Envelope, Failure } from '#libs/contracts/src/index.js';
import {
  foldStream,
  type Aggregate,
  type AggregateState,
  type Decided,
  type EventData,
  type Recorded,
} from './decider.js';
import type { EventStore, Queryable } from './event-store.js';
import { inline, join, raw, sql, type Sql } from './sql.js';
import type { NewEvent, StoredEvent } from './types.js';

/** Seals an event's secret with the aggregate's key; the result is stored, never published. */
export type Sealer = (
  on: Queryable,
  aggregateId: string,
  secret: Record<string, unknown>,
) => Promise<unknown>;

/** The rows `UnitOfWork.read` answers for a `loadStatement`. */
interface LoadedRow {
  id: string;
  snapshot: unknown;
  tail: (Omit<StoredEvent, 'sealed'> & { sealed: unknown })[];
}

type Event = { type: string; data: unknown };
/** Where an aggregate's rows and streams are: what its load statements need. */
type Stored = Pick<
  Aggregate<AggregateState, never, Event>,
  'streamPrefix' | 'stateTable' | 'snapshotSchema'
>;

/**
 * One command's work, in at most three round trips when it decides once: the first read opens
 * the transaction in the same message (`BEGIN; <reads>`), `flush` writes every append and state
 * row in one statement, then `COMMIT`. Everything commits together or not at all. Events carry
 * the command's correlation, actor and workspace.
 */
export class UnitOfWork {
  readonly now = new Date().toISOString();
  /** What `flush` appended, with positions. */
  appended: StoredEvent[] = [];
  /** Whether a transaction is open (the first statement opened it). */
  begun = false;
  private readonly appends = new Map<
    string,
    { streamId: string; expectedVersion: number; events: NewEvent[] }
  >();
  private readonly stateRows = new Map<string, Sql>();
  private readonly writes: Sql[] = [];
  private readonly guards: { statement: Sql; refusal: Failure }[] = [];

  /** This unit of work as a `Queryable`, for code that takes one (the vault, lookups). */
  readonly db: Queryable = {
    query: (async (text: string, values?: unknown[]) =>
      (await this.read({ text, values: values ?? [] }))[0]) as Queryable['query'],
  };

  constructor(
    readonly client: pg.PoolClient,
    readonly store: EventStore,
    readonly command: Envelope,
    private readonly seal?: Sealer,
  ) {}

  get workspaceId(): string {
    return this.command.workspaceId!;
  }

  /**
   * Runs `statements` in one round trip and answers each one's result. The first call also
   * opens the transaction in the same message.
   */
  async read(...statements: Sql[]): Promise<pg.QueryResult[]> {
    if (!this.begun) {
      this.begun = true;
      return this.many(['BEGIN', ...statements.map((s) => inline(s, pg.escapeLiteral))]).then(
        (results) => results.slice(1),
      );
    }
    if (statements.length === 1) {
      const [only] = statements;
      return [await this.client.query(only!.text, only!.values)];
    }
    return this.many(statements.map((s) => inline(s, pg.escapeLiteral)));
  }

  /** The statement that loads one instance by id (initial state when it has no events). */
  loadById(aggregate: Stored, id: string): Sql {
    return this.store.loadStatement(aggregate, byId(aggregate, id));
  }

  /**
   * The statement that loads every instance `selector` names; it answers `id`, `snapshot`,
   * `snapshot_schema` from the aggregate's state table (and may lock those rows).
   */
  loadWhere(aggregate: Stored, selector: Sql): Sql {
    return this.store.loadStatement(aggregate, selector);
  }

  /** States from the rows of a load statement: each snapshot, then the events after it. */
  states<S extends AggregateState, C, E extends Event>(
    aggregate: Aggregate<S, C, E>,
    result: pg.QueryResult,
  ): S[] {
    return statesOf(this.store, aggregate, result);
  }

  /** One instance by id: a round trip of its own. */
  async load<S extends AggregateState, C, E extends Event>(
    aggregate: Aggregate<S, C, E>,
    id: string,
  ): Promise<S> {
    const [result] = await this.read(this.loadById(aggregate, id));
    return this.states(aggregate, result!)[0]!;
  }

  /**
   * Decides `command` against `state`; when it emits events, seals their secrets, evolves the
   * state and queues the append (after `state.version`) and the new state row for `flush`.
   */
  async decide<S extends AggregateState, C, E extends Event>(
    aggregate: Aggregate<S, C, E>,
    state: S,
    command: C,
  ): Promise<{ ok: true; state: S; events: NewEvent[] } | Failure> {
    const decision = aggregate.decide(command, state, this.now);
    if (!decision.ok) return decision;
    const streamId = aggregate.streamPrefix + state.id;
    const queued = this.appends.get(streamId) ?? {
      streamId,
      expectedVersion: state.version,
      events: [],
    };
    const events: NewEvent[] = [];
    let next = state;
    for (const decided of decision.events as Decided<E>[]) {
      const event = await this.newEvent(aggregate, state.id, decided);
      events.push(event);
      const recorded = {
        type: decided.type,
        data: decided.data,
        id: event.id,
        streamVersion: next.version + 1,
        metadata: event.metadata,
      } as unknown as Recorded<E>;
      next = aggregate.evolve(next, recorded);
    }
    if (events.length > 0) {
      queued.events.push(...events);
      this.appends.set(streamId, queued);
      this.stateRows.set(`${aggregate.stateTable}:${state.id}`, aggregate.stateRow(next));
    }
    return { ok: true, state: next, events };
  }

  /** A statement that runs within the append's statement (a row the command writes besides). */
  also(statement: Sql): void {
    this.writes.push(statement);
  }

  /**
   * A statement (with a RETURNING clause) that runs within the append's statement and must
   * return a row; when it returns none, nothing commits and the command answers `refusal`.
   */
  guard(statement: Sql, refusal: Failure): void {
    this.guards.push({ statement, refusal });
  }

  /**
   * Writes every queued append, state row and statement in one statement (its own, when nothing
   * was read and nothing is guarded). Answers the refusal of a guard that returned no row; the
   * caller rolls back.
   */
  async flush(): Promise<Failure | undefined> {
    if (this.appends.size === 0) {
      for (const statement of this.writes) await this.db.query(statement.text, statement.values);
      for (const { statement, refusal } of this.guards) {
        const { rows } = await this.db.query(statement.text, statement.values);
        if (rows.length === 0) return refusal;
      }
      return undefined;
    }
    if (this.guards.length > 0 && !this.begun) await this.read();
    const stored = await this.store.write(
      [...this.appends.values()],
      [...this.stateRows.values(), ...this.writes],
      this.client,
      this.guards.map((g) => g.statement),
    );
    const refused = stored.guarded?.findIndex((rows) => rows === 0) ?? -1;
    if (refused >= 0) return this.guards[refused]!.refusal;
    this.appended = stored;
    return undefined;
  }

  /** Position of the last event this command appended: what the gateway waits for. */
  get lastPosition(): string | undefined {
    return this.appended.at(-1)?.position;
  }

  private async newEvent<E extends Event>(
    aggregate: Aggregate<AggregateState, unknown, E>,
    aggregateId: string,
    { secret, causationId, ...event }: Decided<E>,
  ): Promise<NewEvent> {
    if (secret && !this.seal) throw new Error('an event carries a secret and nothing seals it');
    const sealed = secret ? await this.seal!(this.db, aggregateId, secret) : undefined;
    const type = (event as EventData<E>).type as E['type'];
    return {
      id: randomUUID(),
      type,
      schemaVersion: aggregate.schemaVersions?.[type] ?? 1,
      data: (event as EventData<E>).data,
      ...(sealed === undefined ? {} : { sealed }),
      occurredAt: this.now,
      metadata: {
        workspaceId: this.command.workspaceId,
        correlationId: this.command.correlationId,
        causationId: causationId ?? this.command.id,
        actor: this.command.actor ?? null,
        actorKeyId: this.command.actorKeyId ?? null,
      },
    };
  }

  private async many(texts: string[]): Promise<pg.QueryResult[]> {
    const results = (await this.client.query(texts.join(';\n'))) as unknown;
    return Array.isArray(results) ? (results as pg.QueryResult[]) : [results as pg.QueryResult];
  }
}

/** Selects one instance by id, with its state row when it has one. */
function byId(aggregate: Stored, id: string): Sql {
  return join(
    [
      sql`SELECT ${id}::uuid AS id, t.snapshot, t.snapshot_schema FROM (SELECT 1) one LEFT JOIN `,
      raw(aggregate.stateTable),
      sql` t ON t.id = ${id}::uuid`,
    ],
    (texts) => texts.join(''),
  );
}

function statesOf<S extends AggregateState, C, E extends Event>(
  store: EventStore,
  aggregate: Aggregate<S, C, E>,
  result: pg.QueryResult,
): S[] {
  return (result.rows as LoadedRow[]).map((row) =>
    foldStream(
      aggregate,
      (row.snapshot as S | null) ?? aggregate.initialState(row.id),
      row.tail.map((entry) => store.fromTail(entry)),
    ),
  );
}

/** One instance by id, outside any command (reads and checks): its snapshot, then its tail. */
export async function loadAggregate<S extends AggregateState, C, E extends Event>(
  store: EventStore,
  aggregate: Aggregate<S, C, E>,
  id: string,
  on: Queryable = store.pool,
): Promise<S> {
  const statement = store.loadStatement(aggregate, byId(aggregate, id));
  return statesOf(store, aggregate, await on.query(statement.text, statement.values))[0]!;
}
