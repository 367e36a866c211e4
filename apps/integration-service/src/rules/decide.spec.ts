import { describe, test } from '@jest/globals';
import {
  validateRuleDefinition,
  type RuleCreatedData,
  type RuleDefinition,
} from '#libs/contracts/src/index.js';
import { deciderSpecification } from '#libs/testing/src/decider-specification.js';
import type { RuleCommand } from './decide.js';
import { rules } from './rule.decider.js';

const id = '00000000-0000-4000-8000-0000000000b1';
const now = '2026-01-01T00:00:00.000Z';
const spec = deciderSpecification(rules, { id, now });
const validated = validateRuleDefinition({
  name: 'big PRs',
  trigger: { event: 'pull_request.opened' },
  conditions: [{ provider: 'github', check: 'pr.changed_lines', operator: 'gt', value: 500 }],
  actions: [{ provider: 'slack', method: 'send_message', params: { channel: '#eng', text: 'hi' } }],
});
const definition = (validated.ok ? validated.definition : undefined) as RuleDefinition;

const create = (missingProviders: string[]): RuleCommand => ({
  kind: 'create',
  definition,
  providers: ['github', 'slack'],
  enabled: true,
  missingProviders,
});
const ruleCreated: RuleCreatedData = {
  ruleId: id,
  name: 'big PRs',
  kind: 'rule',
  enforcement: null,
  definition,
  providers: ['github', 'slack'],
  enabled: true,
  disabledReason: null,
  createdAt: '2025-12-01T00:00:00.000Z',
};
const created = { type: 'RuleCreated', data: ruleCreated } as const;
const githubDisconnected = {
  kind: 'disableForIntegration',
  reason: 'integration_disconnected',
  provider: 'github',
  integrationId: 'integration-1',
  causeEventId: 'event-of-the-disconnect',
} as const;
const disabledByDisconnect = {
  type: 'RuleDisabled',
  data: {
    ruleId: id,
    reason: 'integration_disconnected',
    message: 'the github integration it depends on was disconnected',
    provider: 'github',
    integrationId: 'integration-1',
    causeEventId: 'event-of-the-disconnect',
    disabledAt: now,
  },
} as const;
const disabledByHand = {
  type: 'RuleDisabled',
  data: {
    ruleId: id,
    reason: 'manual',
    message: 'disabled by hand',
    provider: null,
    integrationId: null,
    causeEventId: null,
    disabledAt: now,
  },
} as const;

describe('create', () => {
  test('a rule whose providers are all connected is created enabled', () =>
    spec
      .given([])
      .when(create([]))
      .then([{ type: 'RuleCreated', data: { ...ruleCreated, createdAt: now } }]));

  test('a rule that needs a provider not connected is created disabled, naming it', () =>
    spec
      .given([])
      .when(create(['github']))
      .then([
        {
          type: 'RuleCreated',
          data: {
            ...ruleCreated,
            enabled: false,
            disabledReason: 'provider github is not connected',
            createdAt: now,
          },
        },
      ]));

  test('an existing rule refuses to be created again', () =>
    spec.given([created]).when(create([])).thenFails({ kind: 'conflict', code: 'rule_exists' }));
});

describe('disable for an integration', () => {
  test('a disconnect disables an enabled rule, caused by the disconnect event', () =>
    spec
      .given([created])
      .when(githubDisconnected)
      .then([{ ...disabledByDisconnect, causationId: 'event-of-the-disconnect' }]));

  test('a rule already disabled appends nothing', () =>
    spec.given([created, disabledByDisconnect]).when(githubDisconnected).thenNothing());

  test('the disabled rule remembers the event and integration that disabled it', () =>
    spec.given([created, disabledByDisconnect]).thenState({
      enabled: false,
      disabledReason: 'the github integration it depends on was disconnected',
      disabledByEventId: 'event-of-the-disconnect',
      disabledByIntegrationId: 'integration-1',
    }));
});

describe('enable', () => {
  test('enabling is a conflict that names the providers not connected', () =>
    spec
      .given([created, disabledByHand])
      .when({ kind: 'enable', missingProviders: ['github'] })
      .thenFails({
        kind: 'conflict',
        code: 'provider_not_connected',
        details: { providers: ['github'] },
      }));

  test('a disabled rule whose providers are connected is enabled', () =>
    spec
      .given([created, disabledByHand])
      .when({ kind: 'enable', missingProviders: [] })
      .then([{ type: 'RuleEnabled', data: { ruleId: id, enabledAt: now } }]));

  test('enabling an enabled rule appends nothing', () =>
    spec.given([created]).when({ kind: 'enable', missingProviders: [] }).thenNothing());
});

describe('delete', () => {
  test('a rule is deleted', () =>
    spec
      .given([created])
      .when({ kind: 'delete' })
      .then([{ type: 'RuleDeleted', data: { ruleId: id, deletedAt: now } }]));

  test('a deleted rule is gone for every later command', () =>
    spec
      .given([created, { type: 'RuleDeleted', data: { ruleId: id, deletedAt: now } }])
      .when({ kind: 'enable', missingProviders: [] })
      .thenFails({ kind: 'not_found', code: 'rule_not_found' }));
});
