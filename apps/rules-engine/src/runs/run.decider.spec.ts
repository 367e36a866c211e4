import { describe, test } from '@jest/globals';
import type {
  RuleRunFinishedData,
  RuleRunStartedData,
  RuleRunView,
} from '#libs/contracts/src/index.js';
import { deciderSpecification } from '#libs/testing/src/decider-specification.js';
import { runs, type FinishRun, type StartRun } from './run.decider.js';

const id = '00000000-0000-4000-8000-0000000000c1';
const startedAt = '2026-01-01T00:00:00.000Z';
const finishedAt = '2026-01-01T00:00:01.000Z';
const spec = deciderSpecification(runs, { id, now: finishedAt });

const trigger = { type: 'webhook', event: 'pull_request.opened', deliveryId: 'd1' } as const;
const start: StartRun = { kind: 'start', ruleId: 'r1', workspaceId: 'w1', trigger };
const finish: FinishRun = {
  kind: 'finish',
  outcome: 'matched',
  reason: null,
  conditions: [],
  actions: [],
  policy: null,
};
/** A policy's run that failed: what it checked, what it did and the status it posted. */
const failedPolicy: FinishRun = {
  kind: 'finish',
  outcome: 'failed',
  reason: 'action github create_status failed: 502',
  conditions: [
    { provider: 'github', check: 'pr.changed_lines', operator: 'gt', value: 500, result: true },
  ],
  actions: [
    {
      provider: 'github',
      method: 'create_status',
      key: `${id}:0`,
      outcome: 'failed',
      error: '502',
    },
  ],
  policy: {
    context: 'tinyops/big-prs',
    state: 'failure',
    description: 'too many changed lines',
    sha: 'abc123',
    repo: 'acme/api',
    pullNumber: 7,
    mode: 'violation',
  },
};

const startedData: RuleRunStartedData = {
  runId: id,
  ruleId: 'r1',
  workspaceId: 'w1',
  trigger,
  startedAt,
};
const started = { type: 'RuleRunStarted', data: startedData } as const;
const finishedData: RuleRunFinishedData = {
  outcome: 'matched',
  reason: null,
  conditions: [],
  actions: [],
  policy: null,
  finishedAt,
};
const finished = { type: 'RuleRunFinished', data: finishedData } as const;

const startedView: RuleRunView = {
  id,
  ruleId: 'r1',
  workspaceId: 'w1',
  trigger,
  startedAt,
  finishedAt: null,
  outcome: null,
  reason: null,
  conditions: [],
  actions: [],
  policy: null,
  dryRun: false,
};

describe('starting a run', () => {
  test('given nothing, when started, then RuleRunStarted at the time it is decided', () =>
    spec
      .given([])
      .when(start)
      .then([{ type: 'RuleRunStarted', data: { ...startedData, startedAt: finishedAt } }]));

  test('given a started run, when started again (a redelivered trigger), then nothing', () =>
    spec.given([started]).when(start).thenNothing());

  test('given a finished run, when started again, then nothing', () =>
    spec.given([started, finished]).when(start).thenNothing());

  test('given RuleRunStarted, then the run is open: no outcome, not finished, version 1', () =>
    spec.given([started]).thenState({ version: 1, view: startedView }));
});

describe('finishing a run', () => {
  test('given a started run, when finished, then RuleRunFinished with its outcome', () =>
    spec.given([started]).when(finish).then([finished]));

  test('given a started run, when finished failing, then its conditions, actions and policy effect', () => {
    const { kind: _kind, ...result } = failedPolicy;
    spec
      .given([started])
      .when(failedPolicy)
      .then([{ type: 'RuleRunFinished', data: { ...result, finishedAt } }]);
  });

  test('given a finished run, when finished again, then nothing more', () =>
    spec.given([started, finished]).when(finish).thenNothing());

  test('given a finished run, when finished otherwise, then nothing: the first finish stands', () =>
    spec.given([started, finished]).when(failedPolicy).thenNothing());

  test('given no start, when finished, then it is refused: the run was never started', () =>
    spec
      .given([])
      .when(finish)
      .thenFails({
        kind: 'conflict',
        code: 'run_not_started',
        message: `run ${id} was never started`,
      }));

  test('given RuleRunStarted and RuleRunFinished, then the run has its outcome, version 2', () =>
    spec
      .given([started, finished])
      .thenState({ version: 2, view: { ...startedView, outcome: 'matched', finishedAt } }));

  test('given a failed finish, then the run keeps its reason, conditions, actions and effect', () => {
    const { kind: _kind, ...result } = failedPolicy;
    spec
      .given([started, { type: 'RuleRunFinished', data: { ...result, finishedAt } }])
      .thenState({ version: 2, view: { ...startedView, ...result, finishedAt } });
  });
});
