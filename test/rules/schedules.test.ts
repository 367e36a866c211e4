import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { waitFor } from '#libs/testing/src/index.js';
import type { RunningService } from '#libs/service-kit/src/index.js';
import { startEngineStack, type EngineStack } from './support/engine-stack.js';
import { createRule, runsOf } from './support/rules.js';
import { openPull, pullState } from './support/simulators.js';

const TICK = { SCHEDULE_TICK_MS: '500' };
const MINUTE = 60_000;

/**
 * Schedules fire once per due time across replicas and catch up after a restart, never twice. A
 * due time comes at most once a minute (5-field cron), so these tests wait for real minutes.
 */
describe('rules engine: schedules across replicas', () => {
  let s: EngineStack;
  let second: RunningService;
  let org: string;
  const repo = (i: number) => s.sims.github.org.repos[i]!.name;

  beforeAll(async () => {
    s = await startEngineStack(TICK);
    second = await s.startEngine();
    org = s.sims.github.org.login;
  }, 60_000);

  afterAll(async () => {
    await s?.close();
  });

  test(
    'given two replicas, a schedule fires once per due time; PRs are read 10 at a time',
    async () => {
      for (let i = 0; i < 12; i++) {
        await openPull(s.sims.github, repo(2), {
          title: `pr ${i}`,
          additions: i < 7 ? 500 : 5,
          deletions: 0,
        });
      }
      const everyMinute = await createRule(s, {
        name: 'Minute report',
        trigger: { type: 'schedule', cron: '* * * * *' },
        condition: {
          provider: 'slack',
          check: 'channel.member_count',
          channel: '#general',
          operator: 'gt',
          value: 0,
        },
        action: {
          provider: 'slack',
          method: 'send_message',
          params: { channel: '#alerts', message: '{{rule.name}}: {{condition.result}} members' },
        },
      });
      const nudge = await createRule(s, {
        name: 'Nudge big PRs',
        trigger: { type: 'schedule', cron: '* * * * *' },
        condition: {
          provider: 'github',
          check: 'pr.changed_lines',
          operator: 'gt',
          value: 100,
          repo: `${org}/${repo(2)}`,
        },
        action: {
          provider: 'github',
          method: 'pr_comment',
          params: { body: 'Still {{condition.result}} lines: {{trigger.data.pull_request.title}}' },
        },
      });
      // Pull request pages only: the scanner's own GraphQL reads may land in this window too.
      const graphqlBefore = s.sims.github.stats().graphqlPullRequestQueries;
      const [run] = await waitFor(
        async () => {
          const { runs } = await runsOf(s, everyMinute);
          return runs.length > 0 && runs[0].finishedAt ? runs : undefined;
        },
        { timeoutMs: 2 * MINUTE, what: 'the first due time' },
      );
      expect(run).toMatchObject({ outcome: 'matched', trigger: { type: 'schedule' } });
      expect(new Date(run.trigger.scheduledAt).getUTCSeconds()).toBe(0);
      const [nudged] = await waitFor(async () => {
        const { runs } = await runsOf(s, nudge);
        return runs[0]?.finishedAt ? runs : undefined;
      });
      expect(nudged.trigger.scheduledAt).toBe(run.trigger.scheduledAt);
      expect(nudged.outcome).toBe('matched');
      expect(nudged.actions.filter((a: any) => a.outcome === 'done')).toHaveLength(7);
      // 12 open PRs: two pages of 10, one GraphQL call each.
      expect(s.sims.github.stats().graphqlPullRequestQueries - graphqlBefore).toBe(2);

      // Both replicas ticked many times over that due time: still one run, one message.
      await new Promise((r) => setTimeout(r, 3_000));
      const due = run.trigger.scheduledAt;
      const runsAt = (await runsOf(s, everyMinute, '?per_page=100')).runs.filter(
        (r) => r.trigger.scheduledAt === due,
      );
      expect(runsAt).toHaveLength(1);
      expect(s.sims.slack.messages().filter((m) => m.channel === 'C0000000003')).toHaveLength(
        (await runsOf(s, everyMinute)).total,
      );
      const claims = await s.stack.db.query(
        'SELECT 1 FROM rules.schedule_claims WHERE rule_id = $1 AND due_at = $2',
        [everyMinute, due],
      );
      expect(claims).toHaveLength(1);
      const first = (await pullState(s.sims.github, repo(2), 1)).comments;
      expect(first.length).toBeGreaterThanOrEqual(1);
      expect(first[0].body).toBe('Still 500 lines: pr 0');
    },
    4 * MINUTE,
  );

  test(
    'given every replica down over a due time, a restarted one fires it once, and a second restart not again',
    async () => {
      const ruleId = await createRule(s, {
        name: 'Catch me up',
        trigger: { type: 'schedule', cron: '* * * * *' },
        action: {
          provider: 'slack',
          method: 'send_message',
          params: { channel: '#eng', message: 'due {{now}}' },
        },
      });
      await s.engine!.close();
      await second.close();
      const down = Date.now();
      // Wait until a due time has passed with no replica running.
      const nextMinute = Math.ceil((down + 1) / MINUTE) * MINUTE;
      await new Promise((r) => setTimeout(r, nextMinute - Date.now() + 1_500));
      const missed = new Date(nextMinute).toISOString();
      // No replica runs (and none answers run queries): the log shows nothing for that due time.
      const before = await s.stack.db.query(
        `SELECT 1 FROM rules.runs WHERE rule_id = $1 AND view->'trigger'->>'scheduledAt' = $2`,
        [ruleId, missed],
      );
      expect(before).toEqual([]);

      let replica = await s.startEngine(TICK);
      await waitFor(
        async () => {
          const { runs } = await runsOf(s, ruleId, '?per_page=100');
          return runs.some((r) => r.trigger.scheduledAt === missed && r.finishedAt)
            ? true
            : undefined;
        },
        { timeoutMs: 30_000, what: 'the missed due time to be caught up' },
      );
      await replica.close();
      replica = await s.startEngine(TICK);
      await new Promise((r) => setTimeout(r, 3_000));
      const { runs } = await runsOf(s, ruleId, '?per_page=100');
      expect(runs.filter((r) => r.trigger.scheduledAt === missed)).toHaveLength(1);
      // Due times before the rule existed are never caught up.
      expect(runs.every((r) => Date.parse(r.trigger.scheduledAt) > down - MINUTE)).toBe(true);
      await replica.close();
    },
    4 * MINUTE,
  );
});
