import { describe, expect, test } from '@jest/globals';
import { parse as parseYaml } from 'yaml';
import { canonicalRule } from './rule-format.js';
import { pollIntervalMs, validateRuleDefinition } from './rules.js';

const valid = (input: unknown) => {
  const result = validateRuleDefinition(input);
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  return result.definition;
};

describe('rule format: the TinyOps shape is stored in the canonical shape', () => {
  test('given a webhook trigger, singular condition and action with message, then canonical', () => {
    const tinyops = parseYaml(`
name: Large PRs to Slack
trigger: { type: webhook, source: github, event: pull_request.opened }
condition: { provider: github, check: pr.changed_lines, operator: gt, value: 500 }
action:
  provider: slack
  method: send_message
  params: { channel: "#eng", message: "{{rule.name}}: {{condition.result}}" }
`);
    expect(valid(tinyops)).toEqual({
      name: 'Large PRs to Slack',
      kind: 'rule',
      match: 'all',
      trigger: { event: 'pull_request.opened' },
      conditions: [{ provider: 'github', check: 'pr.changed_lines', operator: 'gt', value: 500 }],
      actions: [
        {
          provider: 'slack',
          method: 'send_message',
          params: { channel: '#eng', text: '{{rule.name}}: {{condition.result}}' },
        },
      ],
    });
  });

  test('given a schedule trigger, then cron becomes trigger.schedule and is checked', () => {
    const rule = {
      name: 'Nightly',
      trigger: { type: 'schedule', cron: '0 3 * * *' },
      action: {
        provider: 'slack',
        method: 'send_message',
        params: { channel: '#eng', text: 'hi' },
      },
    };
    expect(valid(rule).trigger).toEqual({ event: 'schedule', schedule: '0 3 * * *' });
    expect(valid(rule).conditions).toEqual([]);
    const bad = validateRuleDefinition({
      ...rule,
      trigger: { type: 'schedule', cron: '61 * * * *' },
    });
    expect(bad.ok).toBe(false);
    const sixFields = validateRuleDefinition({
      ...rule,
      trigger: { type: 'schedule', cron: '0 0 3 * * *' },
    });
    expect(!sixFields.ok && sixFields.issues[0]).toMatchObject({ field: 'trigger.schedule' });
  });

  test('given a poll trigger, then the interval is kept and must be at least a minute', () => {
    const rule = (interval: string) => ({
      name: 'Poll',
      trigger: { type: 'poll', interval },
      action: { provider: 'slack', method: 'send_message', params: { channel: '#eng', text: 'x' } },
    });
    expect(valid(rule('5m')).trigger).toEqual({ event: 'poll', interval: '5m' });
    expect(pollIntervalMs('1h')).toBe(3_600_000);
    expect(pollIntervalMs('1d')).toBe(86_400_000);
    for (const bad of ['30s', '0m', 'soon', '5']) {
      const result = validateRuleDefinition(rule(bad));
      expect(!result.ok && result.issues.map((i) => i.field)).toEqual(['trigger.interval']);
    }
  });

  test('given a policy without an action, then it is valid; a rule without one is not', () => {
    const policy = {
      name: 'Max PR size',
      kind: 'policy',
      enforcement: 'block',
      trigger: { type: 'webhook', source: 'github', event: 'pull_request' },
      condition: { provider: 'github', check: 'pr.changed_lines', operator: 'gt', value: 500 },
    };
    expect(valid(policy).actions).toEqual([]);
    const rule = validateRuleDefinition({ ...policy, kind: 'rule', enforcement: undefined });
    expect(!rule.ok && rule.issues.map((i) => i.field)).toEqual(['actions']);
  });

  test('given both message and text, or another webhook source, then validation names it', () => {
    const both = validateRuleDefinition({
      name: 'x',
      trigger: { event: 'push' },
      action: {
        provider: 'slack',
        method: 'send_message',
        params: { channel: '#a', text: 'a', message: 'b' },
      },
    });
    expect(!both.ok && both.issues.map((i) => i.field)).toEqual(['actions.0.params']);
    expect(
      canonicalRule({ trigger: { type: 'webhook', source: 'gitlab', event: 'push' } }),
    ).toMatchObject({ trigger: { type: 'webhook', source: 'gitlab' } });
  });

  test('given a matches pattern RE2 cannot run, then it is refused at save time', () => {
    const rule = (value: string) => ({
      name: 'x',
      kind: 'policy',
      enforcement: 'advisory',
      trigger: { event: 'pull_request.opened' },
      conditions: [{ provider: 'github', check: 'ci_status', operator: 'matches', value }],
    });
    expect(validateRuleDefinition(rule('^(a+)+$')).ok).toBe(true);
    const backref = validateRuleDefinition(rule('(a)\\1'));
    expect(!backref.ok && backref.issues[0]!.message).toMatch(/RE2/);
  });
});
