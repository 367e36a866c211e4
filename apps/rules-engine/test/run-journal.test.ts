import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { QueryRunner } from 'typeorm';
import { sql } from '#libs/event-store/src/index.js';
import { PostgresFixture } from '#libs/testing/src/index.js';
import { RulesEngine1764200000000 } from '../src/migrations/1764200000000-rules-engine.js';
import { RuleActivity1764200001000 } from '../src/migrations/1764200001000-rule-activity.js';
import { EngineStore } from '../src/runs/engine-store.js';
import { RunFinishedElsewhere, RunJournal } from '../src/runs/run-journal.js';

/**
 * The journal of a run against a real PostgreSQL: what it writes, in how many statements, and
 * what it does when another attempt of the same run (a redelivered trigger) got there first.
 */
describe('RunJournal', () => {
  let db: PostgresFixture;
  let pool: pg.Pool;
  let store: EngineStore;
  let statements = 0;
  const workspaceId = 'ws-journal';

  beforeAll(async () => {
    db = await PostgresFixture.create('run_journal');
    pool = new pg.Pool({ connectionString: db.url, max: 2 });
    await pool.query('CREATE SCHEMA rules');
    const runner = { query: (text: string) => pool.query(text) } as unknown as QueryRunner;
    await new RulesEngine1764200000000().up(runner);
    await new RuleActivity1764200001000().up(runner);
    const query = pool.query.bind(pool) as (...args: unknown[]) => unknown;
    pool.query = ((...args: unknown[]) => {
      statements++;
      return query(...args);
    }) as typeof pool.query;
    store = new EngineStore(pool);
  });
  afterAll(async () => {
    await pool.end();
    await db.dispose();
  });

  const start = (ruleId: string) => ({
    kind: 'start' as const,
    ruleId,
    workspaceId,
    trigger: { type: 'webhook' as const, event: 'pull_request.opened', deliveryId: 'd-1' },
    now: new Date().toISOString(),
  });
  const finish = {
    kind: 'finish' as const,
    outcome: 'matched' as const,
    reason: null,
    conditions: [],
    actions: [],
    policy: null,
    now: new Date().toISOString(),
  };
  const open = (runId: string, ruleId = randomUUID()) =>
    RunJournal.open(store, runId, workspaceId, 'corr-1', start(ruleId));
  const typesOf = async (streamId: string) =>
    (await store.events.readStream(streamId)).map((e) => e.type);

  test('given a new run, when it takes an action key and finishes, then two statements write it all', async () => {
    const runId = randomUUID();
    const journal = await open(runId);
    const before = statements;

    expect(
      await journal.claimAction(`${runId}:0`, { runId, provider: 'slack', method: 'send_message' }),
    ).toEqual({ kind: 'taken' });
    journal.actionFinished(`${runId}:0`, { outcome: 'done', ref: { ts: '1.2' } });
    const view = await journal.finish(finish);

    expect(statements - before).toBe(2);
    expect(view).toMatchObject({ id: runId, outcome: 'matched' });
    expect(await typesOf(`run-${runId}`)).toEqual(['RuleRunStarted', 'RuleRunFinished']);
    expect(await typesOf(`action-${runId}:0`)).toEqual(['RuleActionStarted', 'RuleActionFinished']);
    expect((await store.getRun(workspaceId, view.ruleId, runId))?.outcome).toBe('matched');
  });

  test('given a run another attempt finished, when this one takes its key, then it learns the finished run', async () => {
    const runId = randomUUID();
    const ruleId = randomUUID();
    const first = await open(runId, ruleId);
    const second = await open(runId, ruleId);
    await first.finish(finish);

    const claimed = second.claimAction(`${runId}:0`, {
      runId,
      provider: 'slack',
      method: 'send_message',
    });

    await expect(claimed).rejects.toBeInstanceOf(RunFinishedElsewhere);
    await expect(claimed).rejects.toMatchObject({ view: { id: runId, outcome: 'matched' } });
    expect(await typesOf(`action-${runId}:0`)).toEqual([]);
  });

  test('given a key an earlier attempt took and never finished, when taken again, then it is unknown and not repeated', async () => {
    const runId = randomUUID();
    const ruleId = randomUUID();
    const earlier = await open(runId, ruleId);
    await earlier.claimAction(`${runId}:0`, { runId, provider: 'github', method: 'create_status' });
    const again = await open(runId, ruleId);

    const claim = await again.claimAction(`${runId}:0`, {
      runId,
      provider: 'github',
      method: 'create_status',
    });
    await again.finish(finish);

    expect(claim).toMatchObject({ kind: 'earlier', result: { outcome: 'unknown' } });
    expect(await typesOf(`run-${runId}`)).toEqual(['RuleRunStarted', 'RuleRunFinished']);
  });

  test('given a key an earlier attempt finished, when taken again, then its outcome is answered', async () => {
    const runId = randomUUID();
    const earlier = await open(runId);
    await earlier.claimAction(`${runId}:0`, { runId, provider: 'github', method: 'create_status' });
    earlier.actionFinished(`${runId}:0`, { outcome: 'done', ref: { id: 7 } });
    await earlier.claimAction(`${runId}:1`, {
      runId,
      provider: 'github',
      method: 'upsert_comment',
    });
    const again = await open(runId);

    const claim = await again.claimAction(`${runId}:0`, {
      runId,
      provider: 'github',
      method: 'create_status',
    });

    expect(claim).toEqual({ kind: 'earlier', result: { outcome: 'done', ref: { id: 7 } } });
  });

  test('given a policy whose breaker counted evaluations, when its run opens, then one statement reads both', async () => {
    const policyId = randomUUID();
    const state = { buckets: { '1': [3, 1] }, openUntil: null, version: 0 };
    await pool.query('INSERT INTO rules.breakers (policy_id, state) VALUES ($1, $2)', [
      policyId,
      JSON.stringify(state),
    ]);
    const before = statements;

    const journal = await RunJournal.open(
      store,
      randomUUID(),
      workspaceId,
      'corr-1',
      start(policyId),
      policyId,
    );

    expect(statements - before).toBe(1);
    expect(journal.breaker).toEqual(state);
    expect(journal.state.view).toMatchObject({ ruleId: policyId, finishedAt: null });
  });

  test('given a guard, when the write it joins returns no row from it, then its fallback runs', async () => {
    const runId = randomUUID();
    const journal = await open(runId);
    const missed: string[] = [];
    journal.guard(sql`SELECT 1 WHERE false`, async () => void missed.push('first'));
    journal.guard(sql`SELECT 1`, async () => void missed.push('second'));

    await journal.finish(finish);

    expect(missed).toEqual(['first']);
  });
});
