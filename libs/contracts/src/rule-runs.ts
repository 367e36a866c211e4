import type { Envelope } from './envelope.js';
import type { CheckValue } from './providers/provider-calls.js';

/**
 * The rules engine's vocabulary: runs (what a trigger did to a rule), their queries, and the
 * engine's work queue. A run's id is derived from its trigger (delivery id or scheduled time) and
 * the rule, so a trigger delivered again finds the same run.
 */
export const RulesEngineSubjects = {
  /** `GET /api/rules/:id/runs`: newest first, paginated. */
  runs: 'rules-engine.q.runs',
  run: 'rules-engine.q.run',
  /** `POST /api/rules/:id/test`: evaluates live, performs nothing, answers the would-be run. */
  test: 'rules-engine.cmd.test',
  health: 'rules-engine.q.health',
  /** Core NATS between engine replicas: a workspace's rules changed, drop them from memory. */
  rulesChanged: 'rules-engine.rules.changed',
  /** Work-queue items that engine replicas share (`rules.job.<kind>`). */
  jobs: 'rules.job',
} as const;

export type RunOutcome = 'matched' | 'not_matched' | 'skipped' | 'failed';

export type RunTrigger =
  | { type: 'webhook'; event: string; deliveryId: string }
  | { type: 'schedule'; event: 'schedule'; scheduledAt: string }
  | { type: 'poll'; event: 'poll'; scheduledAt: string }
  | { type: 'test'; event: string };

export interface ConditionResult {
  provider: string;
  check: string;
  operator: string;
  value?: unknown;
  /** What the provider said; absent when it could not be read. */
  actual?: CheckValue;
  result: boolean | null;
  /** The pull request it was checked on, for a schedule over pull requests. */
  pullNumber?: number;
  error?: string;
}

export type ActionOutcome = 'done' | 'failed' | 'not_performed' | 'unknown';

export interface ActionResult {
  provider: string;
  method: string;
  /** `run id:action index` (plus `:#<pull>` for one pull request of a schedule). */
  key: string;
  outcome: ActionOutcome;
  params?: Record<string, unknown>;
  ref?: Record<string, string | number>;
  error?: string;
}

export interface PolicyEffect {
  context: string;
  state: 'success' | 'failure';
  description: string;
  sha: string;
  repo: string;
  pullNumber: number;
  /** Why the status is success despite an error or a violation, when it is. */
  mode: 'passed' | 'violation' | 'fail_open' | 'breaker_open';
}

export interface RuleRunView {
  id: string;
  ruleId: string;
  workspaceId: string;
  trigger: RunTrigger;
  startedAt: string;
  finishedAt: string | null;
  outcome: RunOutcome | null;
  /** Why a run was skipped or failed. */
  reason: string | null;
  conditions: ConditionResult[];
  actions: ActionResult[];
  policy: PolicyEffect | null;
  /** True for `POST /api/rules/:id/test`: evaluated, nothing performed, nothing stored. */
  dryRun: boolean;
}

export interface ListRunsQuery {
  ruleId: string;
  page?: number;
  perPage?: number;
}

export interface RunsPage {
  runs: RuleRunView[];
  total: number;
  page: number;
  per_page: number;
}

export interface GetRunQuery {
  ruleId: string;
  runId: string;
}

/** `rules-engine.cmd.test`: the rule as the gateway has it, and an optional trigger payload. */
export interface TestRuleCommand {
  ruleId: string;
  name: string;
  definition: unknown;
  trigger?: { event?: string; data?: Record<string, unknown> };
}

/** Events of a run's stream (`run-<runId>`) in the engine's own log. */
export const RunEventTypes = {
  started: 'RuleRunStarted',
  finished: 'RuleRunFinished',
  actionStarted: 'RuleActionStarted',
  actionFinished: 'RuleActionFinished',
  breakerOpened: 'PolicyBreakerOpened',
  breakerClosed: 'PolicyBreakerClosed',
} as const;

// ---- The engine's events: its own log (schema `rules`), not published on the bus ----

/** The first event of a run's stream (`run-<runId>`): a trigger delivered again adds nothing. */
export interface RuleRunStartedData {
  runId: string;
  ruleId: string;
  workspaceId: string;
  trigger: RunTrigger;
  startedAt: string;
}

/** The last event of a run's stream: what the run found and did. */
export interface RuleRunFinishedData {
  outcome: RunOutcome;
  reason: string | null;
  conditions: ConditionResult[];
  actions: ActionResult[];
  policy: PolicyEffect | null;
  finishedAt: string;
}

export interface RuleRunEventDataMap {
  RuleRunStarted: RuleRunStartedData;
  RuleRunFinished: RuleRunFinishedData;
}
export type RuleRunEventType = keyof RuleRunEventDataMap;
/** A rule run's events, as the engine's run decider (`runs`) decides and folds them. */
export type RuleRunEvent = {
  [K in RuleRunEventType]: Envelope<K, RuleRunEventDataMap[K]>;
}[RuleRunEventType];

/**
 * A policy's evaluation counted by its circuit breaker, `errored` when the policy could not be
 * evaluated ("condition false" is not an error). Kept in the breaker's row (`rules.breakers`)
 * alone, never appended to its stream.
 */
export interface PolicyEvaluationCountedData {
  at: string;
  errored: boolean;
}

/** Too many of a policy's recent evaluations errored: it posts success, saying so, until then. */
export interface PolicyBreakerOpenedData {
  openedAt: string;
  openUntil: string;
  /** The window's evaluations and errors that opened it. */
  evaluations: number;
  errors: number;
}

/** The breaker's open time passed: the policy is evaluated again, over a fresh window. */
export interface PolicyBreakerClosedData {
  closedAt: string;
}

export interface PolicyBreakerEventDataMap {
  PolicyEvaluationCounted: PolicyEvaluationCountedData;
  PolicyBreakerOpened: PolicyBreakerOpenedData;
  PolicyBreakerClosed: PolicyBreakerClosedData;
}
export type PolicyBreakerEventType = keyof PolicyBreakerEventDataMap;
/**
 * A policy circuit breaker's events, as its decider (`breakerOf` in the rules engine) decides and
 * folds them. Openings and closings are the stream `breaker-<policy id>` in the engine's log,
 * stored with the policy's id beside their data (`policyId`).
 */
export type PolicyBreakerEvent = {
  [K in PolicyBreakerEventType]: Envelope<K, PolicyBreakerEventDataMap[K]>;
}[PolicyBreakerEventType];
