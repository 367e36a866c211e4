import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { ActionResult, RuleRunView } from '#libs/contracts/src/index.js';
import {
  EventStore,
  sql,
  VersionConflictError,
  type Queryable,
} from '#libs/event-store/src/index.js';
import { decideRun, evolveRun, initialRun, type RunCommand, type RunState } from './run.decider.js';

export const ENGINE_STORE = Symbol('ENGINE_STORE');

/** How an action key was found when a run tried to take it. */
export type ActionClaim =
  | { kind: 'taken' }
  /** Another attempt of this run took it before: done, failed, or cut off mid-call (unknown). */
  | { kind: 'earlier'; result: Pick<ActionResult, 'outcome' | 'ref' | 'error'> };

/**
 * The engine's log (schema `rules`): each run is a stream `run-<id>`, each action key a stream
 * `action-<run id>:<action>` whose first event is written before the provider is asked to act, so
 * that a trigger delivered again (after a crash, on another replica) never acts twice. `rules.runs`
 * is the runs' read model, written in the same statement as each append.
 */
export class EngineStore {
  readonly events: EventStore;

  constructor(readonly pool: pg.Pool) {
    this.events = new EventStore(pool, 'rules');
  }

  async loadRun(runId: string, on: Queryable = this.pool): Promise<RunState> {
    const { rows } = await on.query<{ view: RuleRunView; version: number }>(
      'SELECT view, version FROM rules.runs WHERE id = $1',
      [runId],
    );
    return rows[0]
      ? { id: runId, version: rows[0].version, view: rows[0].view }
      : initialRun(runId);
  }

  /**
   * Decides `command` on the run and appends what it decided, with the run's row, in one statement
   * (one round trip). `known` is the state the caller holds (the start's answer when finishing); a
   * start assumes a new run. Either guess found wrong (a redelivered trigger, another replica) is a
   * version conflict, and the run is read and decided again. Returns the state after, and whether
   * anything was appended (false: the run was already started, or already finished).
   */
  async decide(
    runId: string,
    workspaceId: string,
    command: RunCommand,
    correlationId: string,
    known?: RunState,
  ): Promise<{ state: RunState; appended: boolean }> {
    let state = known ?? (command.kind === 'start' ? initialRun(runId) : await this.loadRun(runId));
    for (let attempt = 0; ; attempt++) {
      const events = decideRun(state, command);
      if (events.length === 0) return { state, appended: false };
      const next = events.reduce(evolveRun, state);
      const view = next.view!;
      try {
        await this.events.write(
          [
            {
              streamId: `run-${runId}`,
              expectedVersion: state.version,
              events: events.map((e) => ({
                id: randomUUID(),
                type: e.type,
                schemaVersion: 1,
                data: e.data,
                metadata: { workspaceId, correlationId, causationId: null, actor: 'rules-engine' },
                occurredAt: command.now,
              })),
            },
          ],
          [
            sql`INSERT INTO rules.runs (id, rule_id, workspace_id, started_at, outcome, view, version)
              VALUES (${runId}, ${view.ruleId}, ${workspaceId}, ${view.startedAt}::timestamptz,
                ${view.outcome}, ${JSON.stringify(view)}::jsonb, ${next.version}::int)
              ON CONFLICT (id) DO UPDATE
                SET outcome = EXCLUDED.outcome, view = EXCLUDED.view, version = EXCLUDED.version`,
          ],
        );
        return { state: next, appended: true };
      } catch (error) {
        if (!(error instanceof VersionConflictError) || attempt >= 5) throw error;
        state = await this.loadRun(runId);
      }
    }
  }

  /**
   * Takes an action key before the provider is asked: the first event of the key's stream. Only
   * one attempt ever takes a key; any later one learns what became of the first.
   */
  async claimAction(
    key: string,
    workspaceId: string,
    data: { runId: string; provider: string; method: string },
    correlationId: string,
  ): Promise<ActionClaim> {
    try {
      await this.events.append(`action-${key}`, 0, [
        {
          id: randomUUID(),
          type: 'RuleActionStarted',
          schemaVersion: 1,
          data: { key, ...data },
          metadata: { workspaceId, correlationId, causationId: null, actor: 'rules-engine' },
          occurredAt: new Date().toISOString(),
        },
      ]);
      return { kind: 'taken' };
    } catch (error) {
      if (!(error instanceof VersionConflictError)) throw error;
    }
    const stream = await this.events.readStream(`action-${key}`);
    const finished = stream.find((e) => e.type === 'RuleActionFinished');
    if (!finished) {
      return {
        kind: 'earlier',
        result: {
          outcome: 'unknown',
          error:
            'an earlier attempt of this run started this action and did not report back; not repeated',
        },
      };
    }
    return {
      kind: 'earlier',
      result: finished.data as Pick<ActionResult, 'outcome' | 'ref' | 'error'>,
    };
  }

  async finishAction(
    key: string,
    workspaceId: string,
    result: Pick<ActionResult, 'outcome' | 'ref' | 'error'>,
    correlationId: string,
  ): Promise<void> {
    await this.events.append(`action-${key}`, 1, [
      {
        id: randomUUID(),
        type: 'RuleActionFinished',
        schemaVersion: 1,
        data: result,
        metadata: { workspaceId, correlationId, causationId: null, actor: 'rules-engine' },
        occurredAt: new Date().toISOString(),
      },
    ]);
  }

  async listRuns(workspaceId: string, ruleId: string, page: number, perPage: number) {
    const { rows } = await this.pool.query<{ view: RuleRunView; total: string }>(
      `SELECT view, count(*) OVER () AS total FROM rules.runs
       WHERE workspace_id = $1 AND rule_id = $2
       ORDER BY started_at DESC, id DESC LIMIT $3 OFFSET $4`,
      [workspaceId, ruleId, perPage, (page - 1) * perPage],
    );
    let total = Number(rows[0]?.total ?? 0);
    if (rows.length === 0 && page > 1) {
      const counted = await this.pool.query<{ n: string }>(
        'SELECT count(*) AS n FROM rules.runs WHERE workspace_id = $1 AND rule_id = $2',
        [workspaceId, ruleId],
      );
      total = Number(counted.rows[0]!.n);
    }
    return { runs: rows.map((r) => r.view), total };
  }

  async getRun(
    workspaceId: string,
    ruleId: string,
    runId: string,
  ): Promise<RuleRunView | undefined> {
    const { rows } = await this.pool.query<{ view: RuleRunView }>(
      'SELECT view FROM rules.runs WHERE workspace_id = $1 AND rule_id = $2 AND id = $3',
      [workspaceId, ruleId, runId],
    );
    return rows[0]?.view;
  }
}
