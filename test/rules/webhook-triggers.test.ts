import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { startEngineStack, type EngineStack } from './support/engine-stack.js';
import { deliver, githubEvent, untilDeliveriesHandled } from './support/deliveries.js';
import { appClient } from './support/github-app.js';
import { createRule, runsOf, untilRuns } from './support/rules.js';

/**
 * Rules started by GitHub events other than pull requests: a signed `push` or `issues` delivery
 * reaches the gateway, the engine runs the rules whose trigger names that event (or event and
 * action) and performs their actions; rules on other events do not run.
 */
describe('rules on GitHub push and issues events', () => {
  let s: EngineStack;
  let repo: string;

  beforeAll(async () => {
    s = await startEngineStack();
    repo = s.sims.github.org.repos[0]!.name;
  });

  afterAll(async () => {
    await s?.close();
  });

  test('given rules on push and issues.opened, each runs on its delivery and acts; others never run', async () => {
    const owner = s.sims.github.org.login;
    const onPush = await createRule(s, {
      name: 'Pushes to Slack',
      trigger: { type: 'webhook', source: 'github', event: 'push' },
      action: {
        provider: 'slack',
        method: 'send_message',
        params: {
          channel: '#eng',
          message:
            '{{trigger.data.pusher.name}} pushed "{{trigger.data.head_commit.message}}" to {{trigger.data.ref}} of {{trigger.data.repository.full_name}}',
        },
      },
    });
    const onIssue = await createRule(s, {
      name: 'Triage new issues',
      trigger: { type: 'webhook', source: 'github', event: 'issues.opened' },
      action: { provider: 'github', method: 'add_label', params: { label: 'triage' } },
    });
    const slackOn = (event: string) =>
      createRule(s, {
        name: `Tell Slack of ${event}`,
        trigger: { type: 'webhook', source: 'github', event },
        action: {
          provider: 'slack',
          method: 'send_message',
          params: { channel: '#eng', message: event },
        },
      });
    // Same event, another action; and other events.
    const notStarted = [
      await slackOn('issues.closed'),
      await slackOn('pull_request'),
      await slackOn('release'),
    ];

    const push = githubEvent(s, 'push', undefined, repo);
    push.ref = 'refs/heads/main';
    push.after = randomBytes(20).toString('hex');
    push.head_commit = { ...push.head_commit, id: push.after, message: 'Fix the build' };
    const pushId = await deliver(s, 'push', push);

    // The issue exists on GitHub before GitHub tells of it.
    const gh = appClient(s.sims.github);
    const made = await gh.request('POST /repos/{owner}/{repo}/issues', {
      owner,
      repo,
      title: 'Crash on start',
    });
    const opened = githubEvent(s, 'issues', 'opened', repo);
    opened.issue = { ...opened.issue, number: made.data.number, title: 'Crash on start' };
    const issueId = await deliver(s, 'issues', opened);

    const [pushRun] = await untilRuns(s, onPush, 1);
    const [issueRun] = await untilRuns(s, onIssue, 1);
    expect(pushRun).toMatchObject({
      outcome: 'matched',
      trigger: { type: 'webhook', event: 'push', deliveryId: pushId },
      actions: [{ provider: 'slack', method: 'send_message', outcome: 'done' }],
    });
    expect(issueRun).toMatchObject({
      outcome: 'matched',
      trigger: { type: 'webhook', event: 'issues.opened', deliveryId: issueId },
      actions: [{ provider: 'github', method: 'add_label', outcome: 'done' }],
    });
    const issues = await gh.request('GET /repos/{owner}/{repo}/issues', { owner, repo });
    expect(issues.data.find((i) => i.number === made.data.number)?.labels).toEqual([
      expect.objectContaining({ name: 'triage' }),
    ]);

    // Once the engine has finished both deliveries: each rule ran on its own event only.
    await untilDeliveriesHandled(s);
    expect(s.sims.slack.messages().map((m) => [m.channel, m.text])).toEqual([
      ['C0000000002', `Codertocat pushed "Fix the build" to refs/heads/main of ${owner}/${repo}`],
    ]);
    expect((await runsOf(s, onPush)).total).toBe(1);
    expect((await runsOf(s, onIssue)).total).toBe(1);
    for (const ruleId of notStarted) expect((await runsOf(s, ruleId)).total).toBe(0);
  });
});
