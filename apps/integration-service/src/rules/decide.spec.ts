import { describe, expect, test } from '@jest/globals';
import { validateRuleDefinition, type RuleDefinition } from '#libs/contracts/src/index.js';
import { decideRule, type RuleCommand } from './decide.js';
import { evolveRule } from './evolve.js';
import { initialRule, type RuleState } from './rule.state.js';

const now = '2026-01-01T00:00:00.000Z';
const validated = validateRuleDefinition({
  name: 'big PRs',
  trigger: { event: 'pull_request.opened' },
  conditions: [{ provider: 'github', check: 'pr.changed_lines', operator: 'gt', value: 500 }],
  actions: [{ provider: 'slack', method: 'send_message', params: { channel: '#eng', text: 'hi' } }],
});
const definition = (validated.ok ? validated.definition : undefined) as RuleDefinition;

let eventNo = 0;
function run(state: RuleState, command: RuleCommand) {
  const decision = decideRule(state, command, now);
  if (!decision.ok) return { state, error: decision.error, count: 0 };
  const next = decision.events.reduce(
    (s, e) =>
      evolveRule(s, {
        ...e,
        id: `event-${++eventNo}`,
        streamVersion: s.version + 1,
        metadata: { workspaceId: 'ws' },
      }),
    state,
  );
  return { state: next, error: undefined, count: decision.events.length };
}

const created = (missing: string[] = []) =>
  run(initialRule('r1'), {
    kind: 'create',
    definition,
    providers: ['github', 'slack'],
    enabled: true,
    missingProviders: missing,
  }).state;

describe('decideRule / evolveRule', () => {
  test('created enabled when every provider is connected, disabled naming the missing one otherwise', () => {
    expect(created()).toMatchObject({ enabled: true, kind: 'rule', enforcement: null });
    expect(created(['github'])).toMatchObject({
      enabled: false,
      disabledReason: 'provider github is not connected',
    });
  });

  test('a disconnect disables with the cause; a second one appends nothing', () => {
    const cause = {
      kind: 'disableForIntegration',
      reason: 'integration_disconnected',
      provider: 'github',
      integrationId: 'i1',
      causeEventId: 'evt-d',
    } as const;
    const first = run(created(), cause);
    expect(first.state).toMatchObject({
      enabled: false,
      disabledByEventId: 'evt-d',
      disabledByIntegrationId: 'i1',
    });
    expect(run(first.state, cause).count).toBe(0);
  });

  test('enable is a conflict naming missing providers; enabling an enabled rule appends nothing', () => {
    const off = run(created(), { kind: 'disable', reason: null }).state;
    expect(run(off, { kind: 'enable', missingProviders: ['github'] }).error).toMatchObject({
      kind: 'conflict',
      code: 'provider_not_connected',
      details: { providers: ['github'] },
    });
    const on = run(off, { kind: 'enable', missingProviders: [] });
    expect(on.state).toMatchObject({ enabled: true, disabledReason: null });
    expect(run(on.state, { kind: 'enable', missingProviders: [] }).count).toBe(0);
  });

  test('a deleted rule is gone for every later command', () => {
    const deleted = run(created(), { kind: 'delete' }).state;
    expect(deleted.deleted).toBe(true);
    expect(run(deleted, { kind: 'enable', missingProviders: [] }).error?.kind).toBe('not_found');
  });
});
