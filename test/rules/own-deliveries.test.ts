import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { startEngineStack, type EngineStack } from './support/engine-stack.js';
import { deliver, githubEvent, untilDeliveriesHandled } from './support/deliveries.js';
import { appClient } from './support/github-app.js';
import { createRule, runsOf, untilRuns } from './support/rules.js';

/**
 * GitHub sends deliveries of what the App itself did with its installation token, as sent by
 * `<app slug>[bot]`. Such a delivery starts no rule, so a rule on `issues.opened` whose action
 * opens an issue does not start itself again on the issue it opened; the same delivery sent by a
 * person or another bot (dependabot[bot]) starts it. The engine runs on its default
 * GITHUB_APP_SLUG, which is the GitHub simulator's App; the last test sets another.
 */
describe("deliveries of the App's own actions", () => {
  let s: EngineStack;
  let repo: string;
  let owner: string;

  const HUMAN = { login: 'octocat', id: 9_000_002, type: 'User' };
  const DEPENDABOT = { login: 'dependabot[bot]', id: 49_699_333, type: 'Bot' };
  const appBot = () => ({ login: `${s.sims.github.appSlug}[bot]`, id: 9_000_001, type: 'Bot' });

  /** An `issues.opened` delivery about issue `number`, sent by `sender`; its delivery id. */
  const issueOpened = (number: number, title: string, sender: Record<string, unknown>) => {
    const payload = githubEvent(s, 'issues', 'opened', repo);
    payload.issue = { ...payload.issue, number, title, user: sender };
    payload.sender = sender;
    return deliver(s, 'issues', payload);
  };

  const issuesOnGithub = async () =>
    (
      await appClient(s.sims.github).request('GET /repos/{owner}/{repo}/issues', {
        owner,
        repo,
        per_page: 100,
      })
    ).data;

  /** rule_runs_total{outcome="skipped"} on the engine's /metrics (0 before its first count). */
  const skippedCount = async () => {
    const body = await (await fetch(`${s.engine!.url}/metrics`)).text();
    const line = body.split('\n').find((l) => l.startsWith('rule_runs_total{outcome="skipped"}'));
    return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
  };

  beforeAll(async () => {
    s = await startEngineStack();
    repo = s.sims.github.org.repos[0]!.name;
    owner = s.sims.github.org.login;
  });

  afterAll(async () => {
    await s?.close();
  });

  test("given a rule on issues.opened that opens an issue, the issue it opened (sent by the App's bot) does not start it again; a person's and dependabot's issues do", async () => {
    const followUp = await createRule(s, {
      name: 'Follow up new issues',
      trigger: { type: 'webhook', source: 'github', event: 'issues.opened' },
      action: {
        provider: 'github',
        method: 'create_issue',
        params: { title: 'Follow up: {{trigger.data.issue.title}}' },
      },
    });

    // A person opens an issue: the rule runs and opens its follow-up.
    const byHuman = await issueOpened(101, 'Crash on start', HUMAN);
    const [first] = await untilRuns(s, followUp, 1);
    expect(first).toMatchObject({
      outcome: 'matched',
      trigger: { type: 'webhook', event: 'issues.opened', deliveryId: byHuman },
      actions: [{ provider: 'github', method: 'create_issue', outcome: 'done' }],
    });
    const made = (await issuesOnGithub()).find((i) => i.number === first.actions[0].ref.number);
    expect(made?.title).toBe('Follow up: Crash on start');

    // GitHub tells of the issue the App opened, as sent by the App's bot: nothing starts.
    const skippedBefore = await skippedCount();
    const echo = await issueOpened(made!.number, made!.title, appBot());
    await untilDeliveriesHandled(s);
    expect((await runsOf(s, followUp)).total).toBe(1);
    expect(await skippedCount()).toBe(skippedBefore + 1);

    // Another bot's issue is as a person's: the rule runs on it.
    const byDependabot = await issueOpened(102, 'Bump lodash', DEPENDABOT);
    await untilRuns(s, followUp, 2);

    // Once the engine has finished every delivery: two runs, none of them on the App's own.
    await untilDeliveriesHandled(s);
    const { runs, total } = await runsOf(s, followUp, '?per_page=100');
    expect(total).toBe(2);
    expect(runs.map((r) => r.trigger.deliveryId).sort()).toEqual([byHuman, byDependabot].sort());
    expect(runs.map((r) => r.trigger.deliveryId)).not.toContain(echo);
    for (const run of runs) expect(run).toMatchObject({ outcome: 'matched' });
    expect(
      (await issuesOnGithub())
        .map((i) => i.title)
        .filter((t) => t.startsWith('Follow up:'))
        .sort(),
    ).toEqual(['Follow up: Bump lodash', 'Follow up: Crash on start']);
  });

  test('given GITHUB_APP_SLUG names another App, that App is the one whose deliveries start nothing', async () => {
    await s.engine!.close();
    const engine = await s.startEngine({ GITHUB_APP_SLUG: 'acme-ops' });
    s.engine = engine;
    const onIssue = await createRule(s, {
      name: 'Tell Slack of new issues',
      trigger: { type: 'webhook', source: 'github', event: 'issues.opened' },
      action: {
        provider: 'slack',
        method: 'send_message',
        params: { channel: '#eng', message: '{{trigger.data.sender.login}}' },
      },
    });

    const ownBot = { login: 'acme-ops[bot]', id: 9_100_001, type: 'Bot' };
    const own = await issueOpened(201, 'From acme-ops', ownBot);
    const simulatorApp = await issueOpened(202, 'From the simulator App', appBot());
    await untilRuns(s, onIssue, 1);
    await untilDeliveriesHandled(s);
    const { runs } = await runsOf(s, onIssue, '?per_page=100');
    expect(runs.map((r) => r.trigger.deliveryId)).toEqual([simulatorApp]);
    expect(runs.map((r) => r.trigger.deliveryId)).not.toContain(own);
    expect(s.sims.slack.messages().map((m) => m.text)).toEqual([appBot().login]);
  });
});
