import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { waitFor } from '#libs/testing/src/index.js';
import { startEngineStack, type EngineStack } from './support/engine-stack.js';
import { createRule, runsOf, untilRuns, untilStatuses } from './support/rules.js';
import { openPull } from './support/simulators.js';

const OPEN_MS = 4_000;

/** What keeps rules safe when providers fail or go away: the breaker, fail-open, disconnects. */
describe('rules engine: breaker and disconnects', () => {
  let s: EngineStack;
  let org: string;
  const repo = (i: number) => s.sims.github.org.repos[i]!.name;

  beforeAll(async () => {
    s = await startEngineStack({ POLICY_BREAKER_OPEN_MS: String(OPEN_MS) });
    org = s.sims.github.org.login;
  });

  afterAll(async () => {
    await s?.close();
  });

  test('given 5 evaluation errors, the breaker trips: success saying so; after its time it closes', async () => {
    const policyId = await createRule(s, {
      name: 'Fragile check',
      kind: 'policy',
      enforcement: 'block',
      trigger: { event: 'pull_request' },
      conditions: [
        {
          provider: 'github',
          check: 'pr.changed_lines',
          operator: 'gt',
          value: 100,
          repo: `${org}/${repo(0)}`,
        },
      ],
    });
    s.sims.github.setFailRate(1, ['GET']);
    try {
      for (let i = 0; i < 5; i++) {
        const pr = await openPull(s.sims.github, repo(0), {
          title: `err ${i}`,
          additions: 500,
          deletions: 0,
        });
        const [status] = await untilStatuses(s, repo(0), pr.number);
        expect(status.description).toMatch(/failing open/);
      }
      const tripped = await openPull(s.sims.github, repo(0), {
        title: 'while open',
        additions: 500,
        deletions: 0,
      });
      const [status] = await untilStatuses(s, repo(0), tripped.number);
      expect(status).toMatchObject({ state: 'success' });
      expect(status.description).toMatch(/circuit breaker open/);
    } finally {
      s.sims.github.setFailRate(0);
    }
    const runs = await untilRuns(s, policyId, 6);
    expect(runs[0]).toMatchObject({ outcome: 'skipped' });
    expect(runs[0].reason).toMatch(/circuit breaker open until/);

    await new Promise((r) => setTimeout(r, OPEN_MS + 500));
    const healed = await openPull(s.sims.github, repo(0), {
      title: 'after',
      additions: 500,
      deletions: 0,
    });
    const [after] = await untilStatuses(s, repo(0), healed.number);
    expect(after).toMatchObject({ state: 'failure', context: 'tinyops/fragile-check' });
    const history = await s.stack.db.query<{ type: string }>(
      `SELECT type FROM rules.events WHERE stream_id = $1 ORDER BY stream_version`,
      [`breaker-${policyId}`],
    );
    expect(history.map((e) => e.type)).toEqual(['PolicyBreakerOpened', 'PolicyBreakerClosed']);
  });

  test('given Slack disconnected, its rule is disabled and does not run; a run in flight fails cleanly', async () => {
    const ruleId = await createRule(s, {
      name: 'PRs to Slack',
      trigger: { event: 'pull_request.opened' },
      conditions: [
        {
          provider: 'github',
          check: 'pr.changed_lines',
          operator: 'gt',
          value: 0,
          repo: `${org}/${repo(1)}`,
        },
      ],
      actions: [
        {
          provider: 'slack',
          method: 'send_message',
          params: { channel: '#alerts', text: 'PR {{trigger.data.number}}' },
        },
      ],
    });
    // In flight: the check is slow, and Slack goes away before the action. The run is in flight
    // once GitHub is being asked (the simulator counts a request before its latency); it is
    // listed from its first action or its finish, both still to come.
    const asked = () => s.sims.github.stats().requests;
    const askedBefore = asked();
    s.sims.github.setLatency(1_500);
    const inFlight = await openPull(s.sims.github, repo(1), {
      title: 'racing',
      additions: 3,
      deletions: 0,
    });
    await waitFor(async () => (asked() > askedBefore ? true : undefined));
    expect((await runsOf(s, ruleId)).total).toBe(0);
    const disconnected = await s.api('POST', '/api/integrations/slack/disconnect', {
      token: s.team.owner,
    });
    expect(disconnected.status).toBe(200);
    const [run] = await untilRuns(s, ruleId, 1);
    s.sims.github.setLatency(0);
    expect(run).toMatchObject({
      outcome: 'failed',
      actions: [{ provider: 'slack', method: 'send_message', outcome: 'failed' }],
    });
    expect(run.reason).toMatch(/slack is not connected/);
    expect(s.sims.slack.messages().filter((m) => m.text === `PR ${inFlight.number}`)).toEqual([]);

    // Disabled: a later pull request starts no run at all.
    await waitFor(async () => {
      const rows = await s.stack.db.query('SELECT enabled FROM rules.rules WHERE id = $1', [
        ruleId,
      ]);
      return rows[0]?.enabled === false ? true : undefined;
    });
    const rule = await s.api('GET', `/api/rules/${ruleId}`, { token: s.team.viewer });
    expect(rule.body.rule).toMatchObject({
      enabled: false,
      disabled: { reason: 'integration_disconnected' },
    });
    // A policy on the same repository runs on the later pull request too, which shows its
    // delivery was processed. It exists before that pull request opens: created after, it could
    // see the delivery or not, depending on which the engine took first.
    const marker = await createRule(s, {
      name: 'Marker',
      kind: 'policy',
      enforcement: 'advisory',
      trigger: { event: 'pull_request' },
      conditions: [
        {
          provider: 'github',
          check: 'pr.changed_lines',
          operator: 'gt',
          value: 1000,
          repo: `${org}/${repo(1)}`,
        },
      ],
    });
    const later = await openPull(s.sims.github, repo(1), {
      title: 'later',
      additions: 3,
      deletions: 0,
    });
    await untilStatuses(s, repo(1), later.number);
    expect((await runsOf(s, marker)).total).toBe(1);
    expect((await runsOf(s, ruleId)).total).toBe(1);
  });
});
