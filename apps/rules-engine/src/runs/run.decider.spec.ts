import { describe, expect, test } from '@jest/globals';
import { decideRun, evolveRun, initialRun, type RunCommand, type RunState } from './run.decider.js';

const start: RunCommand = {
  kind: 'start',
  ruleId: 'r1',
  workspaceId: 'w1',
  trigger: { type: 'webhook', event: 'pull_request.opened', deliveryId: 'd1' },
  now: '2026-01-01T00:00:00.000Z',
};
const finish: RunCommand = {
  kind: 'finish',
  outcome: 'matched',
  reason: null,
  conditions: [],
  actions: [],
  policy: null,
  now: '2026-01-01T00:00:01.000Z',
};
const apply = (state: RunState, command: RunCommand) =>
  decideRun(state, command).reduce(evolveRun, state);

describe('a run', () => {
  test('given nothing, when started, then RuleRunStarted; started again (a redelivery), nothing', () => {
    const started = apply(initialRun('x'), start);
    expect(started.view).toMatchObject({ ruleId: 'r1', outcome: null, finishedAt: null });
    expect(decideRun(started, start)).toEqual([]);
  });

  test('given a started run, when finished, then its outcome; finished twice, nothing more', () => {
    const done = apply(apply(initialRun('x'), start), finish);
    expect(done.view).toMatchObject({ outcome: 'matched', finishedAt: finish.now });
    expect(done.version).toBe(2);
    expect(decideRun(done, finish)).toEqual([]);
  });

  test('given no start, finishing is refused', () => {
    expect(() => decideRun(initialRun('x'), finish)).toThrow(/never started/);
  });
});
