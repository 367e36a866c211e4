import type { Failure } from '#libs/contracts/src/index.js';
import type { Sql } from './sql.js';
import type { StoredEvent } from './types.js';

/**
 * The decider kit: the one way a service turns commands into events.
 *
 * A `Decider` is two pure functions over a contract's event union (`IntegrationEvent`,
 * `RuleEvent` in `libs/contracts`): `decide(command, state, now)` answers the events to append or
 * a refusal, `evolve(state, event)` applies one event. Because the union is discriminated by
 * `type`, a `switch (event.type)` in `evolve` narrows `event.data` without casts.
 *
 * An `Aggregate` adds where its events and its state live: the stream of each instance and the
 * state row (a snapshot plus whatever columns its lookups need) that is written in the same
 * statement as each append. `UnitOfWork.load` reads the snapshot and the stream's tail in one
 * statement; `UnitOfWork.decide` decides, seals secrets, evolves and queues the append;
 * `CommandHandler.run` writes every queued append and state row in one statement, commits, and
 * retries from fresh state when another writer got to a stream first.
 *
 * ```ts
 * const counters: Aggregate<Counter, Bump, CounterEvent> = {
 *   streamPrefix: 'counter-',
 *   stateTable: 'app.counters',
 *   snapshotSchema: 1,
 *   initialState: (id) => ({ id, version: 0, value: 0 }),
 *   decide: (command, state, now) =>
 *     command.by === 0
 *       ? fail('validation', 'no_change', 'bump by something')
 *       : emit({ type: 'Bumped', data: { by: command.by, at: now } }),
 *   evolve: (state, event) => ({ ...state, version: event.streamVersion, value: state.value + event.data.by }),
 *   stateRow: (state) => sql`INSERT INTO app.counters (id, snapshot, snapshot_schema) ...`,
 * };
 *
 * @MessagePattern('counters.cmd.bump')
 * bump(@Payload() message: unknown) {
 *   return this.commands.run(message, 'counters.bump', async (uow, data) => {
 *     const state = await uow.load(counters, parseId(data));
 *     const decided = await uow.decide(counters, state, { by: 1 });
 *     return decided.ok ? ok(decided.state) : decided;
 *   });
 * }
 * ```
 * Specs read given events / when command / then events: `deciderSpecification` in `libs/testing`.
 */

/** What a decider sees of a contract event (an `Envelope<type, data>` member of a union). */
export type EventData<E extends { type: string; data: unknown }> = E extends unknown
  ? { type: E['type']; data: E['data'] }
  : never;

/**
 * An event `decide` emits. `secret` (credentials) is sealed by the handler into the event's
 * `sealed` column and never reaches `data`, the bus or the history; `causationId` defaults to the
 * command's id.
 */
export type Decided<E extends { type: string; data: unknown }> = EventData<E> & {
  secret?: Record<string, unknown>;
  causationId?: string;
};

/** An event as `evolve` sees it: its data and where it sits in its stream. */
export type Recorded<E extends { type: string; data: unknown }> = EventData<E> & {
  id: string;
  streamVersion: number;
  metadata: { workspaceId: string | null };
};

/** The events to append (none: the command changes nothing), or a refusal made with `fail`. */
export type Decision<E extends { type: string; data: unknown }> =
  { ok: true; events: Decided<E>[] } | Failure;

/** The events to append; `emit()` with none: the command changes nothing. */
export const emit = <E extends { type: string; data: unknown }>(
  ...events: Decided<E>[]
): Decision<E> => ({ ok: true, events });

export interface Decider<State, Command, E extends { type: string; data: unknown }> {
  initialState(id: string): State;
  decide(command: Command, state: State, now: string): Decision<E>;
  evolve(state: State, event: Recorded<E>): State;
}

/** Every aggregate's state knows its id and the version of its stream it reflects. */
export interface AggregateState {
  id: string;
  version: number;
}

export interface Aggregate<
  State extends AggregateState,
  Command,
  E extends { type: string; data: unknown },
> extends Decider<State, Command, E> {
  /** Stream id of an instance: `streamPrefix + id`. */
  streamPrefix: string;
  /** Table of state rows with at least `id uuid`, `snapshot jsonb`, `snapshot_schema integer`. */
  stateTable: string;
  /** Bumped when `State` changes shape: older snapshots are ignored and streams folded again. */
  snapshotSchema: number;
  /** Current schema version of each event type `decide` writes (1 when not named). */
  schemaVersions?: Partial<Record<E['type'], number>>;
  /** The statement that writes (or deletes) the state row; it runs within the append's. */
  stateRow(state: State): Sql;
}

/** Folds events over a state: what a stream (or a spec's `given`) leads to. */
export function evolveAll<State, E extends { type: string; data: unknown }>(
  decider: Pick<Decider<State, never, E>, 'evolve'>,
  state: State,
  events: readonly Recorded<E>[],
): State {
  return events.reduce((s, e) => decider.evolve(s, e), state);
}

/**
 * A stream read back from the store, folded. The store holds what this aggregate's `decide`
 * wrote (upcast to the current schema), so its events are taken as the aggregate's own.
 */
export function foldStream<State, E extends { type: string; data: unknown }>(
  decider: Pick<Decider<State, never, E>, 'evolve'>,
  state: State,
  events: readonly StoredEvent[],
): State {
  return evolveAll(decider, state, events as unknown as Recorded<E>[]);
}
