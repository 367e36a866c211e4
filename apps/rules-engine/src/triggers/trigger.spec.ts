import { describe, expect, test } from '@jest/globals';
import type { RuleCondition } from '#libs/contracts/src/index.js';
import { appBotLogin, ruleRepository, runTarget, sentBy, type Trigger } from './trigger.js';

const rule = (...repos: Array<string | undefined>) => ({
  definition: {
    name: 'r',
    kind: 'rule' as const,
    trigger: { event: 'schedule', schedule: '0 9 * * 1' },
    conditions: repos.map((repo): RuleCondition => ({
      provider: 'github',
      check: 'branch_protection',
      operator: 'eq',
      value: true,
      ...(repo ? { repo } : {}),
    })),
    actions: [],
  },
});

const scheduled: Trigger = {
  workspaceId: 'w',
  key: 'schedule:2026-01-05T09:00:00.000Z',
  run: { type: 'schedule', event: 'schedule', scheduledAt: '2026-01-05T09:00:00.000Z' },
  event: 'schedule',
  data: {},
  correlationId: 'c',
};

describe('the repository a run acts on', () => {
  test('given conditions naming one repository exactly, a schedule acts on it', () => {
    expect(ruleRepository(rule('acme/api'))).toBe('acme/api');
    expect(ruleRepository(rule('acme/api', 'Acme/API', undefined))).toBe('acme/api');
    expect(runTarget(rule('acme/api'), scheduled)).toEqual({ repo: 'acme/api' });
  });

  test('given no repository, a pattern or several, a schedule has none to act on', () => {
    expect(ruleRepository(rule())).toBeUndefined();
    expect(ruleRepository(rule(undefined))).toBeUndefined();
    expect(ruleRepository(rule('acme/*'))).toBeUndefined();
    expect(ruleRepository(rule('acme/api', 'acme/web'))).toBeUndefined();
    expect(runTarget(rule('acme/api', 'acme/web'), scheduled)).toEqual({});
  });

  test('given a webhook about a pull request, the run acts where the payload says', () => {
    const delivery: Trigger = {
      ...scheduled,
      run: { type: 'webhook', event: 'pull_request.opened', deliveryId: 'd' },
      event: 'pull_request.opened',
      data: {
        repository: { full_name: 'acme/web' },
        pull_request: { number: 7, head: { sha: 'abc' } },
      },
    };
    expect(runTarget(rule('acme/*'), delivery)).toEqual({
      repo: 'acme/web',
      number: 7,
      ref: 'abc',
    });
  });
});

describe("the App's own deliveries", () => {
  const bot = appBotLogin('integrations-platform-sim');
  const from = (sender: unknown) => ({ action: 'opened', sender });

  test("given a delivery sent by the App's bot, it is the App's own (logins ignore case)", () => {
    expect(bot).toBe('integrations-platform-sim[bot]');
    expect(sentBy(from({ login: 'integrations-platform-sim[bot]', type: 'Bot' }), bot)).toBe(true);
    expect(sentBy(from({ login: 'Integrations-Platform-Sim[bot]', type: 'Bot' }), bot)).toBe(true);
  });

  test('given a person, another bot or another App of a similar name, it is not', () => {
    expect(sentBy(from({ login: 'octocat', type: 'User' }), bot)).toBe(false);
    expect(sentBy(from({ login: 'dependabot[bot]', type: 'Bot' }), bot)).toBe(false);
    expect(sentBy(from({ login: 'integrations-platform[bot]', type: 'Bot' }), bot)).toBe(false);
    expect(sentBy(from({ login: 'integrations-platform-sim', type: 'User' }), bot)).toBe(false);
  });

  test('given no sender, or one without a login, it is not', () => {
    expect(sentBy({}, bot)).toBe(false);
    expect(sentBy(from(null), bot)).toBe(false);
    expect(sentBy(from({ id: 1 }), bot)).toBe(false);
  });
});
