import { rulesMetrics } from '#libs/observability/src/metrics/rules.js';
import type { Logger } from 'pino';
import type {
  ActionResult,
  CheckValue,
  ConditionResult,
  Operator,
  RuleAction,
  RuleCondition,
  PolicyEffect,
  ProviderTarget,
  RuleRunView,
  RunOutcome,
} from '#libs/contracts/src/index.js';
import {
  closedBreaker,
  isOpen,
  type BreakerCommand,
  type BreakerState,
} from '../policies/breaker.js';
import type { BreakerStore } from '../policies/breaker-store.js';
import { policySlug, policyStatus, type PolicyVerdict } from '../policies/policy-status.js';
import type { EngineRule } from '../rules/rule-catalog.js';
import type { EngineStore } from '../runs/engine-store.js';
import { RunFinishedElsewhere, RunJournal } from '../runs/run-journal.js';
import { runIdFor, runTarget, type Trigger } from '../triggers/trigger.js';
import { conditionSummary, conditionsMatch, evaluateConditions } from './conditions.js';
import { applyOperator } from './operators.js';
import type { ProviderClient } from './provider-client.js';
import { renderParams } from './templates.js';

export const EVALUATOR = Symbol('EVALUATOR');

/** A schedule over pull requests reads at most this many pages of 10. */
const MAX_PULL_PAGES = 100;
/** A run records at most this many condition results (one per condition and PR). */
const MAX_RECORDED_CONDITIONS = 500;

function judge(c: RuleCondition, actual: CheckValue, pullNumber: number): ConditionResult {
  const base = {
    provider: c.provider,
    check: c.check,
    operator: c.operator,
    pullNumber,
    actual,
    ...(c.value === undefined ? {} : { value: c.value }),
  };
  try {
    return { ...base, result: applyOperator(c.operator as Operator, actual, c.value) };
  } catch (error) {
    return { ...base, result: null, error: String(error) };
  }
}

/**
 * Why a GitHub action of a rule cannot run: GitHub acts within a repository, and a schedule or
 * poll has only the one its rule's conditions name (see `runTarget` in triggers/trigger.ts).
 */
const NO_REPOSITORY =
  "no single repository to act on: the trigger names none and the rule's conditions do not name exactly one (repo: owner/name)";

function failedAction(action: RuleAction, key: string, error: string): ActionResult {
  return { provider: action.provider, method: action.method, key, outcome: 'failed', error };
}

export interface EvaluatorConfig {
  /** Commit status contexts read `<prefix>/<policy slug>`. */
  statusPrefix: string;
  /** Where a status's `target_url` points: `<publicUrl>/api/rules/<id>/runs/<run id>`. */
  publicUrl: string;
}

interface Evaluated {
  outcome: RunOutcome;
  reason: string | null;
  conditions: ConditionResult[];
  actions: ActionResult[];
  policy: PolicyEffect | null;
}

interface RunContext {
  rule: EngineRule;
  trigger: Trigger;
  runId: string;
  target: ProviderTarget;
  /** Test runs evaluate live and perform nothing (and have no journal). */
  dry: boolean;
  journal?: RunJournal;
}

/**
 * Runs a rule on a trigger: derives the run from the trigger and the rule, evaluates the
 * conditions against live provider data, performs each action at most once (its key taken in the
 * engine's log before the provider is asked), and for a policy posts the commit status. A run
 * found finished (a redelivered trigger) is answered as it was, with nothing done again.
 */
export class Evaluator {
  evaluations = 0;

  constructor(
    private readonly store: EngineStore,
    private readonly breakers: BreakerStore,
    private readonly providers: ProviderClient,
    private readonly config: EvaluatorConfig,
    private readonly logger: Logger,
  ) {}

  async run(rule: EngineRule, trigger: Trigger): Promise<RuleRunView> {
    const runId = runIdFor(trigger.key, rule.id);
    const journal = await RunJournal.open(
      this.store,
      runId,
      rule.workspaceId,
      trigger.correlationId,
      {
        kind: 'start',
        ruleId: rule.id,
        workspaceId: rule.workspaceId,
        trigger: trigger.run,
        now: new Date().toISOString(),
      },
      rule.kind === 'policy' ? rule.id : null,
    );
    const found = journal.state.view;
    if (found?.finishedAt) return found;
    this.evaluations++;
    try {
      const result = await this.evaluate({
        rule,
        trigger,
        runId,
        target: runTarget(rule, trigger),
        dry: false,
        journal,
      });
      const finished = await journal.finish({
        kind: 'finish',
        ...result,
        now: new Date().toISOString(),
      });
      rulesMetrics.runFinished(result.outcome);
      if (result.outcome === 'failed') {
        this.logger.warn({ ruleId: rule.id, runId, reason: result.reason }, 'rule run failed');
      }
      return finished;
    } catch (error) {
      if (error instanceof RunFinishedElsewhere) return error.view;
      throw error;
    }
  }

  /** `POST /api/rules/:id/test`: the run that would be, evaluated live, nothing performed or kept. */
  async test(rule: EngineRule, trigger: Trigger): Promise<RuleRunView> {
    const runId = runIdFor(trigger.key, rule.id);
    const startedAt = new Date().toISOString();
    const result = await this.evaluate({
      rule,
      trigger,
      runId,
      target: runTarget(rule, trigger),
      dry: true,
    });
    return {
      id: runId,
      ruleId: rule.id,
      workspaceId: rule.workspaceId,
      trigger: trigger.run,
      startedAt,
      finishedAt: new Date().toISOString(),
      ...result,
      dryRun: true,
    };
  }

  private async evaluate(ctx: RunContext): Promise<Evaluated> {
    if (ctx.rule.kind === 'policy') return this.evaluatePolicy(ctx);
    const { rule, trigger, target } = ctx;
    const overPulls = rule.definition.conditions.some(
      (c) => c.provider === 'github' && c.check.startsWith('pr.'),
    );
    if (overPulls && target.number === undefined) return this.evaluatePulls(ctx);
    const conditions = await evaluateConditions(
      rule.definition.conditions,
      rule.definition.match ?? 'all',
      target,
      this.providers,
      rule.workspaceId,
      trigger.correlationId,
    );
    if (conditions.error !== null) {
      return {
        outcome: 'failed',
        reason: `a condition could not be evaluated: ${conditions.error}`,
        conditions: conditions.results,
        actions: [],
        policy: null,
      };
    }
    if (!conditions.matched) {
      return {
        outcome: 'not_matched',
        reason: null,
        conditions: conditions.results,
        actions: [],
        policy: null,
      };
    }
    const actions = await this.performActions(ctx, conditions.results);
    const failed = actions.find((a) => a.outcome === 'failed');
    return {
      outcome: failed ? 'failed' : 'matched',
      reason: failed ? `action ${failed.provider} ${failed.method} failed: ${failed.error}` : null,
      conditions: conditions.results,
      actions,
      policy: null,
    };
  }

  /** The rule's own actions, params rendered from the trigger and the conditions' values. */
  private async performActions(
    ctx: RunContext,
    results: ConditionResult[],
    about: { keySuffix: string; target: ProviderTarget; data: Record<string, unknown> } = {
      keySuffix: '',
      target: ctx.target,
      data: ctx.trigger.data,
    },
  ): Promise<ActionResult[]> {
    const { rule, trigger } = ctx;
    const view = {
      rule: { id: rule.id, name: rule.name },
      condition: { result: conditionSummary(results) },
      trigger: { type: trigger.run.type, event: trigger.event, data: about.data },
      now: new Date().toISOString(),
    };
    const actions: ActionResult[] = [];
    for (const [i, action] of rule.definition.actions.entries()) {
      const key = `${ctx.runId}:${i}${about.keySuffix}`;
      let params: Record<string, unknown>;
      try {
        params = renderParams(action.params ?? {}, view);
      } catch (error) {
        actions.push(failedAction(action, key, `template: ${String(error)}`));
        continue;
      }
      if (action.provider === 'github' && !about.target.repo) {
        actions.push({ ...failedAction(action, key, NO_REPOSITORY), params });
        continue;
      }
      actions.push(
        await this.perform(ctx, key, action.provider, action.method, params, about.target, true),
      );
    }
    return actions;
  }

  /**
   * A schedule or poll over pull requests: the open PRs of the named repository, read 10 at a
   * time (one provider call per page), each judged on its own; actions run for each PR that
   * matches, keyed by run, action and PR.
   */
  private async evaluatePulls(ctx: RunContext): Promise<Evaluated> {
    const { rule, trigger } = ctx;
    const all = rule.definition.conditions;
    const prConditions = all.filter((c) => c.provider === 'github' && c.check.startsWith('pr.'));
    const others = all.filter((c) => !prConditions.includes(c));
    const repo = prConditions.find((c) => c.repo && !c.repo.includes('*'))?.repo;
    if (!repo) {
      return {
        outcome: 'failed',
        reason: 'a scheduled rule over pull requests names its repository (repo: owner/name)',
        conditions: [],
        actions: [],
        policy: null,
      };
    }
    const match = rule.definition.match ?? 'all';
    const shared = await evaluateConditions(
      others,
      match,
      { repo },
      this.providers,
      rule.workspaceId,
      trigger.correlationId,
    );
    if (shared.error !== null) {
      return {
        outcome: 'failed',
        reason: `a condition could not be evaluated: ${shared.error}`,
        conditions: shared.results,
        actions: [],
        policy: null,
      };
    }
    const checks = [...new Set(prConditions.map((c) => c.check))];
    const conditions: ConditionResult[] = [...shared.results];
    const actions: ActionResult[] = [];
    let matchedAny = false;
    let cursor: string | undefined;
    for (let page = 0; page < MAX_PULL_PAGES; page++) {
      const reply = await this.providers.checkPulls(rule.workspaceId, trigger.correlationId, {
        provider: 'github',
        repo,
        checks,
        perPage: 10,
        ...(cursor ? { cursor } : {}),
      });
      if (!reply.ok) {
        return {
          outcome: 'failed',
          reason: `pull requests could not be read: ${reply.error.message}`,
          conditions,
          actions,
          policy: null,
        };
      }
      for (const pull of reply.value.pulls) {
        const results = prConditions.map((c) =>
          judge(c, pull.values[c.check] ?? null, pull.number),
        );
        const combined = [...shared.results, ...results];
        const matched = conditionsMatch(combined, match);
        if (conditions.length < MAX_RECORDED_CONDITIONS) conditions.push(...results);
        if (!matched) continue;
        matchedAny = true;
        actions.push(
          ...(await this.performActions(ctx, results, {
            keySuffix: `:#${pull.number}`,
            target: { repo, number: pull.number, ref: pull.headSha },
            data: {
              repository: { full_name: repo },
              pull_request: { number: pull.number, title: pull.title, head: { sha: pull.headSha } },
            },
          })),
        );
      }
      if (!reply.value.nextCursor) break;
      cursor = reply.value.nextCursor;
    }
    const failed = actions.find((a) => a.outcome === 'failed');
    return {
      outcome: failed ? 'failed' : matchedAny ? 'matched' : 'not_matched',
      reason: failed ? `action ${failed.provider} ${failed.method} failed: ${failed.error}` : null,
      conditions,
      actions,
      policy: null,
    };
  }

  private async perform(
    ctx: RunContext,
    key: string,
    provider: string,
    method: string,
    params: Record<string, unknown>,
    target: ProviderTarget,
    showParams: boolean,
  ): Promise<ActionResult> {
    const base = { provider, method, key, ...(showParams ? { params } : {}) };
    if (ctx.dry) return { ...base, outcome: 'not_performed' };
    const { workspaceId } = ctx.rule;
    const { correlationId } = ctx.trigger;
    const journal = ctx.journal!;
    const claim = await journal.claimAction(key, { runId: ctx.runId, provider, method });
    if (claim.kind === 'earlier') return { ...base, ...claim.result };
    const reply = await this.providers.act(workspaceId, correlationId, {
      provider,
      method,
      params,
      target,
      actionKey: key,
    });
    const result: Pick<ActionResult, 'outcome' | 'ref' | 'error'> = reply.ok
      ? { outcome: 'done', ref: reply.value.ref }
      : { outcome: 'failed', error: reply.error.message };
    journal.actionFinished(key, result);
    rulesMetrics.actionPerformed(provider, result.outcome);
    return { ...base, ...result };
  }

  /**
   * Counts a policy's evaluation with the run's next write, on the state its check read; when
   * another run counted first, or the count opens the breaker, with the breaker's own write.
   */
  private async countEvaluation(
    ctx: RunContext,
    checked: BreakerState,
    count: BreakerCommand,
  ): Promise<void> {
    const { id, workspaceId } = ctx.rule;
    const recount = async () => void (await this.breakers.decide(id, workspaceId, count));
    const write = this.breakers.countWrite(id, checked, count);
    if (write) ctx.journal!.guard(write, recount);
    else await recount();
  }

  private async evaluatePolicy(ctx: RunContext): Promise<Evaluated> {
    const { rule, trigger, target, runId } = ctx;
    const enforcement = rule.definition.enforcement ?? 'advisory';
    if (!target.repo || !target.number || !target.ref) {
      return {
        outcome: 'skipped',
        reason: 'the trigger is not about a pull request',
        conditions: [],
        actions: [],
        policy: null,
      };
    }
    const now = new Date().toISOString();
    let verdict: PolicyVerdict;
    let conditions: ConditionResult[] = [];
    let notConnected = false;
    const breaker = ctx.dry
      ? undefined
      : await this.breakers.decide(
          rule.id,
          rule.workspaceId,
          { kind: 'check', now },
          ctx.journal?.breaker ?? closedBreaker(),
        );
    if (breaker && isOpen(breaker, now)) {
      verdict = { kind: 'breaker_open', openUntil: breaker.openUntil! };
    } else {
      const evaluated = await evaluateConditions(
        rule.definition.conditions,
        rule.definition.match ?? 'all',
        target,
        this.providers,
        rule.workspaceId,
        trigger.correlationId,
      );
      conditions = evaluated.results;
      notConnected = evaluated.notConnected;
      verdict =
        evaluated.error !== null
          ? { kind: 'error', error: evaluated.error }
          : { kind: 'evaluated', violated: evaluated.matched, results: evaluated.results };
      if (breaker && !notConnected) {
        await this.countEvaluation(ctx, breaker, {
          kind: 'count',
          now,
          errored: verdict.kind === 'error',
        });
      }
    }
    if (notConnected) {
      return {
        outcome: 'failed',
        reason: `the provider is not connected: ${(verdict as { error: string }).error}`,
        conditions,
        actions: [],
        policy: null,
      };
    }
    const status = policyStatus(rule.name, enforcement, verdict);
    const context = `${this.config.statusPrefix}/${policySlug(rule.name)}`;
    const actions: ActionResult[] = [];
    actions.push(
      await this.perform(
        ctx,
        `${runId}:status`,
        'github',
        'create_status',
        {
          state: status.state,
          context,
          description: status.description,
          target_url: `${this.config.publicUrl}/api/rules/${rule.id}/runs/${runId}`,
        },
        { repo: target.repo, ref: target.ref },
        false,
      ),
    );
    const violated = verdict.kind === 'evaluated' && verdict.violated;
    if (violated && enforcement === 'warn') {
      actions.push(
        await this.perform(
          ctx,
          `${runId}:comment`,
          'github',
          'upsert_comment',
          {
            marker: `<!-- ${this.config.statusPrefix}-policy:${rule.id} -->`,
            body: `**${rule.name}** (warning): ${status.description}`,
          },
          { repo: target.repo, number: target.number },
          false,
        ),
      );
    }
    if (violated) actions.push(...(await this.performActions(ctx, conditions)));
    const policy: PolicyEffect = {
      context,
      ...status,
      sha: target.ref,
      repo: target.repo,
      pullNumber: target.number,
    };
    const failed = actions.find((a) => a.outcome === 'failed');
    const outcome: RunOutcome =
      verdict.kind === 'breaker_open'
        ? 'skipped'
        : verdict.kind === 'error' || failed
          ? 'failed'
          : violated
            ? 'matched'
            : 'not_matched';
    const reason =
      verdict.kind === 'breaker_open'
        ? `circuit breaker open until ${verdict.openUntil}`
        : verdict.kind === 'error'
          ? `could not be evaluated (failed open): ${verdict.error}`
          : failed
            ? `action ${failed.provider} ${failed.method} failed: ${failed.error}`
            : null;
    return { outcome, reason, conditions, actions, policy };
  }
}
