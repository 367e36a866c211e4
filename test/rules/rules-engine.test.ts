import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { waitFor } from '#libs/testing/src/index.js';
import { startEngineStack, type EngineStack } from './support/engine-stack.js';
import { createRule, runsOf, untilRuns, untilStatuses } from './support/rules.js';
import { openPull, pullState } from './support/simulators.js';

/**
 * Rules and policies running end to end: the GitHub simulator opens pull requests and sends the
 * signed deliveries to the gateway, the engine consumes them from the bus, reads live values and
 * acts through the integration service, and the results land in the simulators.
 */
describe('rules engine over HTTP and the bus', () => {
  let s: EngineStack;
  let org: string;
  const repo = (i: number) => s.sims.github.org.repos[i]!.name;

  beforeAll(async () => {
    s = await startEngineStack();
    org = s.sims.github.org.login;
  });

  afterAll(async () => {
    await s?.close();
  });

  test('given a block policy, a large PR fails its status and a small one passes', async () => {
    const policyId = await createRule(s, {
      name: 'Max PR size',
      kind: 'policy',
      enforcement: 'block',
      trigger: { type: 'webhook', source: 'github', event: 'pull_request' },
      condition: {
        provider: 'github',
        check: 'pr.changed_lines',
        operator: 'gt',
        value: 500,
        repo: `${org}/${repo(0)}`,
      },
    });
    const large = await openPull(s.sims.github, repo(0), {
      title: 'huge',
      additions: 700,
      deletions: 100,
    });
    const small = await openPull(s.sims.github, repo(0), {
      title: 'tiny',
      additions: 10,
      deletions: 2,
    });
    const [failed] = await untilStatuses(s, repo(0), large.number);
    const [passed] = await untilStatuses(s, repo(0), small.number);
    expect(failed).toMatchObject({ state: 'failure', context: 'tinyops/max-pr-size' });
    expect(failed.description).toMatch(/pr.changed_lines is 800 \(gt 500\)/);
    expect(passed).toMatchObject({
      state: 'success',
      context: 'tinyops/max-pr-size',
      description: 'Max PR size: passed',
    });

    // The status links to its run, which the API serves with the values the condition saw.
    expect(failed.target_url).toMatch(
      new RegExp(`^${s.stack.gateway.url}/api/rules/${policyId}/runs/`),
    );
    const run = await s.api('GET', new URL(failed.target_url).pathname, { token: s.team.viewer });
    expect(run.status).toBe(200);
    expect(run.body.run).toMatchObject({
      outcome: 'matched',
      trigger: { type: 'webhook', event: 'pull_request.opened' },
      conditions: [{ check: 'pr.changed_lines', actual: 800, result: true }],
      policy: { state: 'failure', sha: large.head.sha, pullNumber: large.number },
    });
    const runs = await untilRuns(s, policyId, 2);
    expect(runs.map((r) => r.outcome).sort()).toEqual(['matched', 'not_matched']);
  });

  test('given a warn policy, a PR synchronized twice gets one comment, updated, and passing statuses', async () => {
    await createRule(s, {
      name: 'Keep PRs reviewable',
      kind: 'policy',
      enforcement: 'warn',
      trigger: { event: 'pull_request.opened' },
      conditions: [
        {
          provider: 'github',
          check: 'pr.changed_lines',
          operator: 'gt',
          value: 100,
          repo: `${org}/${repo(1)}`,
        },
      ],
      actions: [],
    });
    const pr = await openPull(s.sims.github, repo(1), {
      title: 'growing',
      additions: 150,
      deletions: 0,
    });
    await untilStatuses(s, repo(1), pr.number);
    for (const additions of [300, 450]) {
      const pushed = await fetch(
        `${s.sims.github.url}/_simulator/repos/${org}/${repo(1)}/pulls/${pr.number}/synchronize`,
        {
          method: 'POST',
          body: JSON.stringify({ additions }),
        },
      );
      expect(pushed.status).toBe(200);
      await untilStatuses(s, repo(1), pr.number);
    }
    const state = await waitFor(async () => {
      const now = await pullState(s.sims.github, repo(1), pr.number);
      return now.comments[0]?.body.includes('450') ? now : undefined;
    });
    expect(state.comments).toHaveLength(1);
    expect(state.statuses).toMatchObject([
      { state: 'success', context: 'tinyops/keep-prs-reviewable' },
    ]);
    expect(state.statuses[0].description).toMatch(/warn/);
  });

  test('given a rule with a template, the Slack message carries the rule, the values and the PR', async () => {
    const ruleId = await createRule(s, {
      name: 'Big PRs to Slack',
      trigger: { type: 'webhook', source: 'github', event: 'pull_request.opened' },
      condition: {
        provider: 'github',
        check: 'pr.changed_lines',
        operator: 'gte',
        value: 200,
        repo: `${org}/${repo(2)}`,
      },
      action: {
        provider: 'slack',
        method: 'send_message',
        params: {
          channel: '#eng',
          message:
            '{{rule.name}}: "{{trigger.data.pull_request.title}}" changes {{condition.result}} lines & more',
        },
      },
    });
    await openPull(s.sims.github, repo(2), {
      title: 'Rewrite <billing>',
      additions: 250,
      deletions: 50,
    });
    await openPull(s.sims.github, repo(2), { title: 'Typo', additions: 1, deletions: 1 });
    await untilRuns(s, ruleId, 2);
    const messages = s.sims.slack.messages().filter((m) => m.channel === 'C0000000002');
    expect(messages.map((m) => m.text)).toEqual([
      'Big PRs to Slack: "Rewrite <billing>" changes 300 lines & more',
    ]);
    const { runs } = await runsOf(s, ruleId);
    const matched = runs.find((r) => r.outcome === 'matched');
    expect(matched.actions).toMatchObject([
      { provider: 'slack', method: 'send_message', outcome: 'done' },
    ]);
  });

  test('given runs, the list is newest first and paginated; a test run performs nothing', async () => {
    const ruleId = await createRule(s, {
      name: 'Label every PR',
      trigger: { event: 'pull_request.opened' },
      conditions: [
        { provider: 'github', check: 'pr.labels', operator: 'is_empty', repo: `${org}/${repo(3)}` },
      ],
      actions: [{ provider: 'github', method: 'add_label', params: { label: 'triage' } }],
    });
    const numbers: number[] = [];
    for (let i = 0; i < 3; i++)
      numbers.push(
        (await openPull(s.sims.github, repo(3), { title: `p${i}`, additions: 1, deletions: 0 }))
          .number,
      );
    await untilRuns(s, ruleId, 3);
    const page1 = await runsOf(s, ruleId, '?per_page=2');
    const page2 = await runsOf(s, ruleId, '?per_page=2&page=2');
    expect(page1).toMatchObject({ total: 3, page: 1, per_page: 2 });
    expect(page1.runs).toHaveLength(2);
    expect(page2.runs).toHaveLength(1);
    const started = [...page1.runs, ...page2.runs].map((r) => r.startedAt);
    expect([...started].sort().reverse()).toEqual(started);
    expect(
      (await pullState(s.sims.github, repo(3), numbers[0]!)).pull.labels.map((l: any) => l.name),
    ).toEqual(['triage']);

    // A rule that no delivery starts (issues), tested on a pull request: evaluated, not performed.
    const quietId = await createRule(s, {
      name: 'Comment on big issues',
      trigger: { event: 'issues.opened' },
      conditions: [
        {
          provider: 'github',
          check: 'pr.changed_lines',
          operator: 'gt',
          value: 0,
          repo: `${org}/${repo(3)}`,
        },
      ],
      actions: [
        {
          provider: 'github',
          method: 'pr_comment',
          params: { body: 'seen {{condition.result}} lines' },
        },
      ],
    });
    const tested = await s.api('POST', `/api/rules/${quietId}/test`, {
      token: s.team.member,
      body: {
        trigger: {
          event: 'issues.opened',
          data: {
            repository: { full_name: `${org}/${repo(3)}` },
            pull_request: { number: numbers[0] },
          },
        },
      },
    });
    expect(tested.status).toBe(200);
    expect(tested.body.run).toMatchObject({
      dryRun: true,
      outcome: 'matched',
      conditions: [{ check: 'pr.changed_lines', actual: 1, result: true }],
      actions: [
        { method: 'pr_comment', outcome: 'not_performed', params: { body: 'seen 1 lines' } },
      ],
    });
    expect((await pullState(s.sims.github, repo(3), numbers[0]!)).comments).toEqual([]);
    expect((await runsOf(s, quietId)).total).toBe(0);
    expect(
      (await s.api('POST', `/api/rules/${quietId}/test`, { token: s.team.viewer, body: {} }))
        .status,
    ).toBe(403);
  });

  test('given a catastrophic pattern and a long label, the test run answers in bounded time', async () => {
    const ruleId = await createRule(s, {
      name: 'Odd labels',
      trigger: { event: 'pull_request.opened' },
      conditions: [
        {
          provider: 'github',
          check: 'pr.labels',
          operator: 'any_match',
          value: ['^(a+)+$', '^(a|aa)*b$'],
          repo: `${org}/zz-*`,
        },
      ],
      actions: [{ provider: 'github', method: 'pr_comment', params: { body: 'odd' } }],
    });
    const pr = await openPull(s.sims.github, repo(2), {
      title: 'x',
      additions: 1,
      deletions: 0,
      labels: [`${'a'.repeat(48)}!`],
    });
    const started = Date.now();
    const tested = await s.api('POST', `/api/rules/${ruleId}/test`, {
      token: s.team.member,
      body: {
        trigger: {
          data: {
            repository: { full_name: `${org}/${repo(2)}` },
            pull_request: { number: pr.number },
          },
        },
      },
    });
    expect(tested.status).toBe(200);
    expect(tested.body.run).toMatchObject({
      outcome: 'not_matched',
      conditions: [{ result: false }],
    });
    // A backtracking engine needs about 2^48 steps for this label; RE2 is linear.
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  test('given GitHub answering 502 to reads, a block policy fails open: success saying so', async () => {
    const policyId = await createRule(s, {
      name: 'Fail open',
      kind: 'policy',
      enforcement: 'block',
      trigger: { event: 'pull_request' },
      conditions: [
        {
          provider: 'github',
          check: 'pr.changed_lines',
          operator: 'gt',
          value: 1,
          repo: `${org}/${repo(2)}`,
        },
      ],
    });
    s.sims.github.setFailRate(1, ['GET']);
    try {
      const pr = await openPull(s.sims.github, repo(2), {
        title: 'during an outage',
        additions: 50,
        deletions: 0,
      });
      const statuses = await untilStatuses(s, repo(2), pr.number);
      const mine = statuses.find((st) => st.context === 'tinyops/fail-open');
      expect(mine).toMatchObject({ state: 'success' });
      expect(mine.description).toMatch(
        /could not be evaluated, failing open \(GitHub answered 502/,
      );
    } finally {
      s.sims.github.setFailRate(0);
    }
    const [run] = await untilRuns(s, policyId, 1);
    expect(run).toMatchObject({
      outcome: 'failed',
      policy: { mode: 'fail_open', state: 'success' },
    });
    expect(run.reason).toMatch(/failed open/);
  });

  test('given an advisory policy, a large PR passes its status and the run records the violation', async () => {
    // repo(3) has no other policy: the only status on its pull requests is this one's.
    const policyId = await createRule(s, {
      name: 'Advise small PRs',
      kind: 'policy',
      enforcement: 'advisory',
      trigger: { type: 'webhook', source: 'github', event: 'pull_request' },
      condition: {
        provider: 'github',
        check: 'pr.changed_lines',
        operator: 'gt',
        value: 300,
        repo: `${org}/${repo(3)}`,
      },
    });
    const pr = await openPull(s.sims.github, repo(3), {
      title: 'sprawling',
      additions: 400,
      deletions: 50,
    });
    const [status] = await untilStatuses(s, repo(3), pr.number);
    expect(status).toMatchObject({ state: 'success', context: 'tinyops/advise-small-prs' });
    expect(status.description).toBe(
      'Advise small PRs (advisory): pr.changed_lines is 450 (gt 300)',
    );

    const [run] = await untilRuns(s, policyId, 1);
    expect(run).toMatchObject({
      outcome: 'matched',
      trigger: { type: 'webhook', event: 'pull_request.opened' },
      conditions: [{ check: 'pr.changed_lines', operator: 'gt', actual: 450, result: true }],
      policy: {
        state: 'success',
        mode: 'violation',
        context: 'tinyops/advise-small-prs',
        sha: pr.head.sha,
        pullNumber: pr.number,
      },
      actions: [{ method: 'create_status', outcome: 'done' }],
    });
    // Advisory only records: no comment (that is warn's), and the status stays success.
    const state = await pullState(s.sims.github, repo(3), pr.number);
    expect(state.comments).toEqual([]);
    expect(state.statuses).toHaveLength(1);
  });
});
