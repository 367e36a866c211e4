import { randomUUID } from 'node:crypto';
import type {
  ActionResult,
  RuleRunFinishedData,
  RuleRunEvent,
  RuleRunView,
} from '#libs/contracts/src/index.js';
import {
  evolveAll,
  sql,
  VersionConflictError,
  type NewEvent,
  type Recorded,
  type Sql,
} from '#libs/event-store/src/index.js';
import type { BreakerState } from '../policies/breaker.js';
import type { EngineStore } from './engine-store.js';
import {
  runs,
  type FinishRun,
  type RunCommand,
  type RunState,
  type StartRun,
} from './run.decider.js';

/** How an action key was found when a run tried to take it. */
export type ActionClaim =
  | { kind: 'taken' }
  /** Another attempt of this run took it before: done, failed, or cut off mid-call (unknown). */
  | { kind: 'earlier'; result: Pick<ActionResult, 'outcome' | 'ref' | 'error'> };

type ActionOutcome = Pick<ActionResult, 'outcome' | 'ref' | 'error'>;
interface Append {
  streamId: string;
  expectedVersion: number;
  events: NewEvent[];
}
/** A state row written with the next statement, and what to do when it was not. */
interface Guard {
  sql: Sql;
  ifMissed: () => Promise<void>;
}

/** The run was finished by another attempt (a redelivered trigger on another replica). */
export class RunFinishedElsewhere extends Error {
  constructor(readonly view: RuleRunView) {
    super(`run ${view.id} was finished by another attempt`);
    this.name = 'RunFinishedElsewhere';
  }
}

const MAX_ATTEMPTS = 5;

/** A run's command as the evaluator gives it: with the time it is decided at. */
type At<C extends RunCommand> = C & { now: string };

/**
 * One attempt of a run, writing the engine's log only when it must: an action's key is taken
 * before the provider is asked (at most once), and the run's finish. What else the run decides
 * (its start, each action's outcome, a breaker's count) waits in the journal and goes with the
 * next of those writes, in the same statement. A policy's run is then two writes instead of five
 * (`npm run bench:rules` prints round trips per evaluation). What waits is lost only with the
 * attempt itself: an action whose outcome was not written reads back as unknown and is never
 * repeated, as before.
 */
export class RunJournal {
  /** The run's events decided and not yet written, as they will be (ids, stream versions). */
  private pendingRun: Recorded<RuleRunEvent>[] = [];
  private readonly pendingOutcomes = new Map<string, ActionOutcome>();
  private guards: Guard[] = [];

  private constructor(
    private readonly store: EngineStore,
    private readonly workspaceId: string,
    private readonly correlationId: string,
    /** The run as the log has it. */
    private logged: RunState,
    /** A policy's breaker as read with the run (null: never counted, or not a policy). */
    readonly breaker: BreakerState | null,
  ) {}

  /**
   * Reads the run (and a policy's breaker, `policyId`) and decides its start; the start is
   * written with the run's first write.
   */
  static async open(
    store: EngineStore,
    runId: string,
    workspaceId: string,
    correlationId: string,
    start: At<StartRun>,
    policyId: string | null = null,
  ): Promise<RunJournal> {
    const read = await store.loadRunAndBreaker(runId, policyId);
    const journal = new RunJournal(store, workspaceId, correlationId, read.run, read.breaker);
    journal.pendingRun = journal.decide(journal.logged, start, start.now);
    return journal;
  }

  /** The run with what it decided so far. */
  get state(): RunState {
    return evolveAll(runs, this.logged, this.pendingRun);
  }

  /**
   * What the run's decider decides on `state`, as the events will be written after it; a refusal
   * (finishing a run never started) throws.
   */
  private decide(state: RunState, command: RunCommand, now: string): Recorded<RuleRunEvent>[] {
    const decision = runs.decide(command, state, now);
    if (!decision.ok) throw new Error(decision.error.message);
    return decision.events.map((event, i) => ({
      ...event,
      id: randomUUID(),
      streamVersion: state.version + i + 1,
      metadata: { workspaceId: this.workspaceId },
    }));
  }

  /** Writes `guard` with the next write; `ifMissed` runs when it returned no row. */
  guard(statement: Sql, ifMissed: () => Promise<void>): void {
    this.guards.push({ sql: statement, ifMissed });
  }

  /**
   * Takes an action key before the provider is asked: the first event of the key's stream. Only
   * one attempt ever takes a key; any later one learns what became of the first.
   */
  async claimAction(
    key: string,
    data: { runId: string; provider: string; method: string },
  ): Promise<ActionClaim> {
    const claim: Append = {
      streamId: `action-${key}`,
      expectedVersion: 0,
      events: [this.event('RuleActionStarted', { key, ...data })],
    };
    try {
      await this.write([claim]);
      return { kind: 'taken' };
    } catch (error) {
      if (!(error instanceof VersionConflictError) || error.streamId !== claim.streamId)
        throw error;
    }
    // Taken before: what waited here still goes to the log, without the claim.
    await this.write([]);
    const stream = await this.store.events.readStream(claim.streamId);
    const finished = stream.find((e) => e.type === 'RuleActionFinished');
    return {
      kind: 'earlier',
      result: finished
        ? (finished.data as ActionOutcome)
        : {
            outcome: 'unknown',
            error:
              'an earlier attempt of this run started this action and did not report back; not repeated',
          },
    };
  }

  /** An action's outcome, written with the run's next write. */
  actionFinished(key: string, outcome: ActionOutcome): void {
    this.pendingOutcomes.set(key, outcome);
  }

  /** Finishes the run with everything still waiting; answers the finished run. */
  async finish(command: At<FinishRun>): Promise<RuleRunView> {
    this.pendingRun.push(...this.decide(this.state, command, command.now));
    await this.write([]);
    return this.logged.view!;
  }

  /**
   * One statement: the run's waiting events and row, the actions' outcomes, `extra` and the
   * guards. When another attempt wrote the run meanwhile, the run is read again and decided again
   * (nothing left to start; finished there is `RunFinishedElsewhere`).
   */
  private async write(extra: Append[]): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const runId = this.logged.id;
      const appends: Append[] = [];
      const stateRows: Sql[] = [];
      const after = this.state;
      if (this.pendingRun.length > 0) {
        appends.push({
          streamId: `run-${runId}`,
          expectedVersion: this.logged.version,
          events: this.pendingRun.map((e) => this.event(e.type, e.data, e.id)),
        });
        stateRows.push(runRow(after, this.workspaceId));
      }
      for (const [key, outcome] of this.pendingOutcomes) {
        appends.push({
          streamId: `action-${key}`,
          expectedVersion: 1,
          events: [this.event('RuleActionFinished', outcome)],
        });
      }
      appends.push(...extra);
      if (appends.length === 0) return;
      const guards = this.guards;
      try {
        const written = await this.store.events.write(
          appends,
          stateRows,
          this.store.pool,
          guards.map((g) => g.sql),
        );
        this.logged = after;
        this.pendingRun = [];
        this.pendingOutcomes.clear();
        this.guards = [];
        for (const [i, guard] of guards.entries()) {
          if ((written.guarded?.[i] ?? 0) === 0) await guard.ifMissed();
        }
        return;
      } catch (error) {
        const runStream = `run-${runId}`;
        if (
          !(error instanceof VersionConflictError) ||
          error.streamId !== runStream ||
          attempt >= MAX_ATTEMPTS
        ) {
          throw error;
        }
        const decided = this.pendingRun;
        this.logged = await this.store.loadRun(runId);
        if (this.logged.view?.finishedAt) throw new RunFinishedElsewhere(this.logged.view);
        this.pendingRun = decided.flatMap((event) =>
          event.type === 'RuleRunStarted'
            ? []
            : this.decide(this.logged, finishOf(event.data), event.data.finishedAt),
        );
      }
    }
  }

  private event(type: string, data: unknown, id: string = randomUUID()): NewEvent {
    return {
      id,
      type,
      schemaVersion: 1,
      data,
      metadata: {
        workspaceId: this.workspaceId,
        correlationId: this.correlationId,
        causationId: null,
        actor: 'rules-engine',
      },
      occurredAt: new Date().toISOString(),
    };
  }
}

/** The command that finished a run as `data` says, to decide again on the run as now logged. */
function finishOf(data: RuleRunFinishedData): FinishRun {
  const { outcome, reason, conditions, actions, policy } = data;
  return { kind: 'finish', outcome, reason, conditions, actions, policy };
}

/** `rules.runs`, the runs' read model, written in the same statement as the run's events. */
function runRow(run: RunState, workspaceId: string): Sql {
  const view = run.view!;
  return sql`INSERT INTO rules.runs (id, rule_id, workspace_id, started_at, outcome, view, version)
    VALUES (${run.id}, ${view.ruleId}, ${workspaceId}, ${view.startedAt}::timestamptz,
      ${view.outcome}, ${JSON.stringify(view)}::jsonb, ${run.version}::int)
    ON CONFLICT (id) DO UPDATE
      SET outcome = EXCLUDED.outcome, view = EXCLUDED.view, version = EXCLUDED.version`;
}
