import {
  fail,
  type ActionResult,
  type ConditionResult,
  type PolicyEffect,
  type RuleRunEvent,
  type RuleRunView,
  type RunOutcome,
  type RunTrigger,
} from '#libs/contracts/src/index.js';
import { emit, type Decider } from '#libs/event-store/src/index.js';

/**
 * A run as the decider kit has it, over its stream `run-<id>`: started once (a trigger delivered
 * again finds it started and decides nothing new), finished once with its outcome, conditions,
 * actions and policy effect. `RunJournal` decides and writes through it.
 */
export interface RunState {
  id: string;
  version: number;
  view: RuleRunView | null;
}

export interface StartRun {
  kind: 'start';
  ruleId: string;
  workspaceId: string;
  trigger: RunTrigger;
}

export interface FinishRun {
  kind: 'finish';
  outcome: RunOutcome;
  reason: string | null;
  conditions: ConditionResult[];
  actions: ActionResult[];
  policy: PolicyEffect | null;
}

export type RunCommand = StartRun | FinishRun;

export const runs: Decider<RunState, RunCommand, RuleRunEvent> = {
  initialState: (id) => ({ id, version: 0, view: null }),

  decide(command, state, now) {
    if (command.kind === 'start') {
      if (state.view) return emit();
      return emit({
        type: 'RuleRunStarted',
        data: {
          runId: state.id,
          ruleId: command.ruleId,
          workspaceId: command.workspaceId,
          trigger: command.trigger,
          startedAt: now,
        },
      });
    }
    if (!state.view) {
      return fail('conflict', 'run_not_started', `run ${state.id} was never started`);
    }
    if (state.view.finishedAt) return emit();
    return emit({
      type: 'RuleRunFinished',
      data: {
        outcome: command.outcome,
        reason: command.reason,
        conditions: command.conditions,
        actions: command.actions,
        policy: command.policy,
        finishedAt: now,
      },
    });
  },

  evolve(state, event) {
    switch (event.type) {
      case 'RuleRunStarted':
        return {
          ...state,
          version: event.streamVersion,
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
          version: event.streamVersion,
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
  },
};
