import type {
  ActionResult,
  ConditionResult,
  PolicyEffect,
  RuleRunView,
  RunOutcome,
  RunTrigger,
} from '#libs/contracts/src/index.js';

/**
 * A run as pure decide/evolve over its stream `run-<id>`: started once (a trigger delivered again
 * finds it started and decides nothing new), finished once with its outcome, conditions, actions
 * and policy effect.
 */
export interface RunState {
  id: string;
  version: number;
  view: RuleRunView | null;
}

export type RunEvent =
  | {
      type: 'RuleRunStarted';
      data: {
        runId: string;
        ruleId: string;
        workspaceId: string;
        trigger: RunTrigger;
        startedAt: string;
      };
    }
  | {
      type: 'RuleRunFinished';
      data: {
        outcome: RunOutcome;
        reason: string | null;
        conditions: ConditionResult[];
        actions: ActionResult[];
        policy: PolicyEffect | null;
        finishedAt: string;
      };
    };

export type RunCommand =
  | { kind: 'start'; ruleId: string; workspaceId: string; trigger: RunTrigger; now: string }
  | {
      kind: 'finish';
      outcome: RunOutcome;
      reason: string | null;
      conditions: ConditionResult[];
      actions: ActionResult[];
      policy: PolicyEffect | null;
      now: string;
    };

export const initialRun = (id: string): RunState => ({ id, version: 0, view: null });

export function decideRun(state: RunState, command: RunCommand): RunEvent[] {
  if (command.kind === 'start') {
    if (state.view) return [];
    return [
      {
        type: 'RuleRunStarted',
        data: {
          runId: state.id,
          ruleId: command.ruleId,
          workspaceId: command.workspaceId,
          trigger: command.trigger,
          startedAt: command.now,
        },
      },
    ];
  }
  if (!state.view) throw new Error(`run ${state.id} was never started`);
  if (state.view.finishedAt) return [];
  const { kind: _kind, now, ...rest } = command;
  return [{ type: 'RuleRunFinished', data: { ...rest, finishedAt: now } }];
}

export function evolveRun(state: RunState, event: RunEvent): RunState {
  const version = state.version + 1;
  switch (event.type) {
    case 'RuleRunStarted':
      return {
        ...state,
        version,
        view: {
          id: state.id,
          ruleId: event.data.ruleId,
          workspaceId: event.data.workspaceId,
          trigger: event.data.trigger,
          startedAt: event.data.startedAt,
          finishedAt: null,
          outcome: null,
          reason: null,
          conditions: [],
          actions: [],
          policy: null,
          dryRun: false,
        },
      };
    case 'RuleRunFinished':
      return {
        ...state,
        version,
        view: state.view && {
          ...state.view,
          finishedAt: event.data.finishedAt,
          outcome: event.data.outcome,
          reason: event.data.reason,
          conditions: event.data.conditions,
          actions: event.data.actions,
          policy: event.data.policy,
        },
      };
  }
}
