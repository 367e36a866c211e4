/**
 * Provider calls on the bus: the rules engine never holds credentials, so every read a check
 * needs and every write an action makes is a request to the integration service, which finds the
 * workspace's connected integration, opens its credentials and calls the provider. Both answer
 * `Reply<...>`: `not_connected` (conflict) when the workspace has no connected integration of the
 * provider, `provider_error` (unavailable) when the provider failed or did not answer in time,
 * `validation` for a target or params that cannot be used.
 */

/** What a check reads or an action writes to. */
export interface ProviderTarget {
  /** `owner/name`. */
  repo?: string;
  /** A pull request (or issue) number in `repo`. */
  number?: number;
  /** A commit sha or branch, for `ci_status` and commit statuses. */
  ref?: string;
  /** A Slack channel id (`C...`) or name (`#eng`). */
  channel?: string;
}

/** `providers.cmd.check`: reads the current value of several checks of one target at once. */
export interface ProviderCheckCommand {
  provider: string;
  checks: string[];
  target: ProviderTarget;
}

export type CheckValue = number | string | boolean | string[] | null;

export interface ProviderCheckResult {
  provider: string;
  /** Each check's current value, by check name. */
  values: Record<string, CheckValue>;
  /** Calls made to the provider to answer. */
  providerCalls: number;
}

/**
 * `providers.cmd.check-pulls`: the open pull requests of a repository, a page at a time (at most
 * 10, as the TinyOps engine reads them), each with the values of the PR checks asked for: one
 * provider call per page rather than one per pull request.
 */
export interface ProviderPullsCheckCommand {
  provider: 'github';
  repo: string;
  checks: string[];
  /** From `nextCursor` of the previous page; absent for the first. */
  cursor?: string;
  perPage?: number;
}

export interface CheckedPull {
  number: number;
  title: string;
  headSha: string;
  values: Record<string, CheckValue>;
}

export interface ProviderPullsCheckResult {
  pulls: CheckedPull[];
  nextCursor: string | null;
  providerCalls: number;
}

/**
 * Methods the engine uses for policies, beside the catalog's actions: a commit status, and the
 * one PR comment a `warn` policy keeps up to date (found again by `marker`).
 */
export const ENGINE_METHODS = ['create_status', 'upsert_comment'] as const;

export interface CommitStatusParams {
  state: 'success' | 'failure' | 'pending' | 'error';
  context: string;
  description: string;
  target_url?: string;
}

export interface UpsertCommentParams {
  /** A hidden line that identifies the comment among the PR's others. */
  marker: string;
  body: string;
}

/** `providers.cmd.act`: performs one action. */
export interface ProviderActCommand {
  provider: string;
  method: string;
  params: Record<string, unknown>;
  target: ProviderTarget;
  /** The engine's key for this action in this run, for the provider's logs and tracing. */
  actionKey: string;
}

export interface ProviderActResult {
  provider: string;
  method: string;
  /** What was made or changed at the provider, e.g. `{ id, url }` of a comment. */
  ref: Record<string, string | number>;
  providerCalls: number;
}
