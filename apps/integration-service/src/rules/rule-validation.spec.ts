import { describe, expect, test } from '@jest/globals';
import {
  connectPayloadSchema,
  describeActions,
  findProvider,
  PROVIDER_NAMES,
  validateRuleDefinition,
} from '#libs/contracts/src/index.js';

const githubRule = {
  name: 'Big PRs need a label',
  kind: 'rule',
  trigger: { event: 'pull_request.opened' },
  conditions: [
    { provider: 'github', check: 'pr.changed_lines', operator: 'gt', value: 500, repo: 'acme/api' },
  ],
  actions: [
    { provider: 'github', method: 'add_label', params: { label: 'large' } },
    { provider: 'slack', method: 'send_message', params: { channel: '#eng', text: 'big PR' } },
  ],
};

describe('provider catalog', () => {
  test('names every provider of the product', () => {
    expect([...PROVIDER_NAMES].sort()).toEqual(
      [
        'acr',
        'artifactory',
        'docker-hub',
        'ecr',
        'email',
        'gcr',
        'github',
        'quay',
        'slack',
        'supabase',
        'vercel',
      ].sort(),
    );
  });

  test('GitHub connect takes installationId (digits) and accountLogin', () => {
    const schema = connectPayloadSchema(findProvider('github')!);
    expect(schema.safeParse({ installationId: '12345678', accountLogin: 'acme-org' }).success).toBe(
      true,
    );
    expect(schema.safeParse({ installationId: '12ab', accountLogin: 'acme-org' }).success).toBe(
      false,
    );
    expect(schema.safeParse({ installationId: '1', accountLogin: '-bad' }).success).toBe(false);
  });

  test('ECR credentials are validated for shape', () => {
    const creds = findProvider('ecr')!.credentials;
    expect(
      creds.safeParse({ region: 'us-east-1', role_arn: 'arn:aws:iam::123456789012:role/scanner' })
        .success,
    ).toBe(true);
    expect(
      creds
        .safeParse({ region: 'nowhere', role_arn: 'arn:aws:iam::1:role/x' })
        .error?.issues.map((i) => i.path[0]),
    ).toEqual(['region', 'role_arn']);
  });

  test('only container registries have container_app_scan_enabled', () => {
    expect(findProvider('ecr')!.settings.parse({})).toEqual({
      broker_enabled: false,
      container_app_scan_enabled: false,
    });
    expect(
      findProvider('github')!.settings.safeParse({ container_app_scan_enabled: true }).success,
    ).toBe(false);
  });

  test('actions describe their params as plain JSON', () => {
    expect(
      describeActions(findProvider('github')!).find((a) => a.name === 'create_issue')!.params,
    ).toEqual([
      { name: 'title', required: true },
      { name: 'body', required: false },
      { name: 'labels', required: false },
    ]);
  });
});

describe('rule validation against the catalog', () => {
  test('a valid rule passes and keeps its shape', () => {
    const result = validateRuleDefinition(githubRule);
    expect(result.ok).toBe(true);
  });

  test('unknown check, operator, action and bad values are named by field', () => {
    const result = validateRuleDefinition({
      ...githubRule,
      conditions: [
        { provider: 'github', check: 'pr.smell', operator: 'gt', value: 1 },
        { provider: 'github', check: 'pr.age', operator: 'approximately', value: 1 },
        { provider: 'github', check: 'pr.age', operator: 'matches', value: 'x' },
        { provider: 'github', check: 'pr.age', operator: 'gt', value: 'old' },
        { provider: 'vercel', check: 'deployment.domain', operator: 'any_match', value: ['('] },
        { provider: 'jira', check: 'x', operator: 'eq', value: 1 },
      ],
      actions: [{ provider: 'slack', method: 'fax', params: {} }],
    });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.issues.map((i) => i.field)).toEqual([
      'conditions.0.check',
      'conditions.1.operator',
      'conditions.2.operator',
      'conditions.3.value',
      'conditions.4.value',
      'conditions.5.provider',
      'actions.0.method',
    ]);
    expect(result.issues[0]!.message).toMatch(/unknown check pr.smell.*pr.age/);
  });

  test('a policy needs an enforcement, a rule may not have one', () => {
    const policy = validateRuleDefinition({ ...githubRule, kind: 'policy' });
    expect(policy.ok).toBe(false);
    expect(validateRuleDefinition({ ...githubRule, kind: 'policy', enforcement: 'block' }).ok).toBe(
      true,
    );
  });
});
