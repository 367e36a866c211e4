import type pg from 'pg';
import type { RuleRunView } from '#libs/contracts/src/index.js';
import { EventStore, type Queryable } from '#libs/event-store/src/index.js';
import type { BreakerState } from '../policies/breaker.js';
import { runs, type RunState } from './run.decider.js';

export const ENGINE_STORE = Symbol('ENGINE_STORE');

/**
 * The engine's log (schema `rules`): each run is a stream `run-<id>`, each action key a stream
 * `action-<run id>:<action>` whose first event is written before the provider is asked to act, so
 * that a trigger delivered again (after a crash, on another replica) never acts twice. `rules.runs`
 * is the runs' read model, written in the same statement as each append. A run writes through
 * its `RunJournal`.
 */
export class EngineStore {
  readonly events: EventStore;

  constructor(readonly pool: pg.Pool) {
    this.events = new EventStore(pool, 'rules');
  }

  async loadRun(runId: string, on: Queryable = this.pool): Promise<RunState> {
    return (await this.loadRunAndBreaker(runId, null, on)).run;
  }

  /**
   * A run and, for a policy, its breaker's state (`null`: never counted), in one statement: a
   * policy's run reads both before it evaluates.
   */
  async loadRunAndBreaker(
    runId: string,
    policyId: string | null,
    on: Queryable = this.pool,
  ): Promise<{ run: RunState; breaker: BreakerState | null }> {
    const { rows } = await on.query<{
      view: RuleRunView | null;
      version: number | null;
      breaker: BreakerState | null;
    }>(
      `SELECT r.view, r.version,
         (SELECT state FROM rules.breakers WHERE policy_id = $2::uuid) AS breaker
       FROM (SELECT 1) one LEFT JOIN rules.runs r ON r.id = $1`,
      [runId, policyId],
    );
    const row = rows[0]!;
    return {
      run: row.view
        ? { id: runId, version: row.version!, view: row.view }
        : runs.initialState(runId),
      breaker: row.breaker,
    };
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
