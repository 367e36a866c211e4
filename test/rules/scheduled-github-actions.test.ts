import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createAppAuth } from '@octokit/auth-app';
import { Octokit } from '@octokit/core';
import { waitFor } from '#libs/testing/src/index.js';
import { startEngineStack, type EngineStack } from './support/engine-stack.js';
import { createRule, runsOf } from './support/rules.js';

const MINUTE = 60_000;

/**
 * GitHub actions of schedules and polls, whose trigger carries no repository: they act on the one
 * repository the rule's conditions name, and fail saying so when there is no single one. A due
 * time comes at most once a minute, so this waits for a real minute.
 */
describe('rules engine: GitHub actions on a schedule or poll', () => {
  let s: EngineStack;
  let github: Octokit;
  let org: string;

  beforeAll(async () => {
    s = await startEngineStack({ SCHEDULE_TICK_MS: '500' });
    org = s.sims.github.org.login;
    // The issues as GitHub's REST API lists them, read as the App's installation.
    github = new Octokit({
      baseUrl: s.sims.github.url,
      authStrategy: createAppAuth,
      auth: {
        appId: s.sims.github.appId,
        privateKey: s.sims.github.privateKeyPem,
        installationId: s.sims.github.installationId,
      },
    });
  }, 60_000);

  afterAll(async () => {
    await s?.close();
  });

  const issuesOf = async (repo: string) =>
    (await github.request('GET /repos/{owner}/{repo}/issues', { owner: org, repo, per_page: 100 }))
      .data;
  const firstRun = (ruleId: string) =>
    waitFor(
      async () => {
        const { runs } = await runsOf(s, ruleId);
        return runs[0]?.finishedAt ? runs[0] : undefined;
      },
      { timeoutMs: 2 * MINUTE, what: `the first due time of rule ${ruleId}` },
    );

  test(
    'given a schedule naming one repository, create_issue opens an issue there; naming two, the action fails saying why',
    async () => {
      const guarded = s.sims.github.org.repos.find((r) => r.protection)!.name;
      const open = s.sims.github.org.repos.find((r) => !r.protection)!.name;
      const protectedIs = (repo: string) => ({
        provider: 'github',
        check: 'branch_protection',
        operator: 'eq',
        value: true,
        repo: `${org}/${repo}`,
      });
      const weekly = await createRule(s, {
        name: 'Weekly triage',
        trigger: { type: 'schedule', cron: '* * * * *' },
        condition: protectedIs(guarded),
        action: {
          provider: 'github',
          method: 'create_issue',
          params: {
            title: '{{rule.name}}',
            body: 'Protected: {{condition.result}}',
            labels: ['triage'],
          },
        },
      });
      const either = await createRule(s, {
        name: 'Either repository',
        trigger: { type: 'poll', interval: '1m' },
        match: 'any',
        conditions: [protectedIs(guarded), protectedIs(open)],
        actions: [
          { provider: 'github', method: 'create_issue', params: { title: '{{rule.name}}' } },
        ],
      });

      const made = await firstRun(weekly);
      expect(made).toMatchObject({
        outcome: 'matched',
        trigger: { type: 'schedule' },
        conditions: [{ check: 'branch_protection', actual: true, result: true }],
        actions: [{ provider: 'github', method: 'create_issue', outcome: 'done' }],
      });
      const issues = await issuesOf(guarded);
      const issue = issues.find((i) => i.number === made.actions[0].ref.number);
      expect(issue).toMatchObject({
        title: 'Weekly triage',
        body: 'Protected: true',
        labels: [{ name: 'triage' }],
      });
      expect(issue).not.toHaveProperty('pull_request');

      const refused = await firstRun(either);
      expect(refused).toMatchObject({
        outcome: 'failed',
        trigger: { type: 'poll' },
        conditions: [{ result: true }, { result: false }],
        actions: [{ provider: 'github', method: 'create_issue', outcome: 'failed' }],
      });
      expect(refused.actions[0].error).toMatch(/^no single repository to act on/);
      expect(refused.reason).toContain('no single repository to act on');
      // Nothing was asked of GitHub for it.
      for (const repo of [guarded, open]) {
        expect((await issuesOf(repo)).filter((i) => i.title === 'Either repository')).toEqual([]);
      }
    },
    4 * MINUTE,
  );
});
