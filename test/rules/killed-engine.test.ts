import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { waitFor } from '#libs/testing/src/index.js';
import { spawnService, type ServiceProcess } from '../support/service-process.js';
import { startEngineStack, type EngineStack } from './support/engine-stack.js';
import { createRule, untilRuns } from './support/rules.js';
import { openPull, pullState } from './support/simulators.js';

/**
 * An engine process killed (SIGKILL) while an action is in flight: the delivery goes back to the
 * queue, another engine takes it, finds the same run and its action keys, and performs no action
 * twice (the one in flight is recorded as unknown, the one not yet begun is performed once).
 */
describe('rules engine: killed mid-run', () => {
  let s: EngineStack;
  const engines: ServiceProcess[] = [];
  const engineEnv = () => ({
    ...s.engineEnv,
    PORT: '0',
    LOG_LEVEL: 'silent',
    ENGINE_ACK_WAIT_MS: '3000',
  });

  beforeAll(async () => {
    s = await startEngineStack({}, { engine: false });
  }, 60_000);

  afterAll(async () => {
    for (const e of engines) if (e.child.exitCode === null) e.child.kill('SIGKILL');
    await s?.close();
  });

  test('given a run killed after its first action began, the redelivered trigger does each action at most once', async () => {
    const first = spawnService('rules-engine', engineEnv());
    engines.push(first);
    const ruleId = await createRule(s, {
      name: 'Comment then tell Slack',
      trigger: { event: 'pull_request.opened' },
      conditions: [
        {
          provider: 'github',
          check: 'pr.changed_lines',
          operator: 'gt',
          value: 0,
          repo: `${s.sims.github.org.login}/${s.sims.github.org.repos[0]!.name}`,
        },
      ],
      actions: [
        { provider: 'github', method: 'pr_comment', params: { body: 'once only' } },
        {
          provider: 'slack',
          method: 'send_message',
          params: { channel: '#eng', text: 'PR {{trigger.data.number}} commented' },
        },
      ],
    });
    // Slow GitHub: the comment is still in flight when the engine dies.
    s.sims.github.setLatency(2_000);
    const pr = await openPull(s.sims.github, s.sims.github.org.repos[0]!.name, {
      title: 'x',
      additions: 5,
      deletions: 0,
    });
    await waitFor(
      async () => {
        const rows = await s.stack.db.query(
          `SELECT 1 FROM rules.events WHERE type = 'RuleActionStarted' AND data->>'method' = 'pr_comment'`,
        );
        return rows.length > 0 ? true : undefined;
      },
      { timeoutMs: 20_000, what: 'the first action to begin' },
    );
    first.child.kill('SIGKILL');
    await first.exited;
    s.sims.github.setLatency(0);

    const second = spawnService('rules-engine', engineEnv());
    engines.push(second);
    const [run] = await untilRuns(s, ruleId, 1);
    expect(run.outcome).toBe('matched');
    // In flight when the engine died: `unknown` (not repeated); `done` if it finished just before.
    expect(run.actions.map((a: any) => a.method)).toEqual(['pr_comment', 'send_message']);
    expect(['unknown', 'done']).toContain(run.actions[0].outcome);
    expect(run.actions[1].outcome).toBe('done');
    // The comment the killed engine asked for was made once; nobody asked again.
    const { comments } = await waitFor(async () => {
      const state = await pullState(s.sims.github, s.sims.github.org.repos[0]!.name, pr.number);
      return state.comments.length > 0 ? state : undefined;
    });
    expect(comments.map((c: any) => c.body)).toEqual(['once only']);
    expect(
      s.sims.slack.messages().filter((m) => m.text === `PR ${pr.number} commented`),
    ).toHaveLength(1);
    const started = await s.stack.db.query(
      `SELECT 1 FROM rules.events WHERE type = 'RuleRunStarted' AND data->>'ruleId' = $1`,
      [ruleId],
    );
    expect(started).toHaveLength(1);
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  }, 120_000);
});
