/**
 * `ci_status`: one value for a commit from both ways CI reports to GitHub, as the pull request
 * page shows them together: the combined commit status (`GET .../commits/{ref}/status`, the
 * older Statuses API) and the check runs (`GET .../commits/{ref}/check-runs`, the Checks API,
 * where GitHub Actions reports).
 */

export type CiState = 'success' | 'pending' | 'failure';

/** The part of GitHub's combined status read here. */
export interface CombinedStatus {
  state: string;
  total_count: number;
}

/** The part of a GitHub check run read here. */
export interface CheckRunState {
  status: string;
  conclusion: string | null;
}

/** Conclusions that fail a commit (`startup_failure` is GitHub Actions' for a broken workflow). */
const FAILED = new Set(['failure', 'timed_out', 'cancelled', 'action_required', 'startup_failure']);
/** Conclusions that pass it: GitHub counts neutral and skipped runs as passing. */
const PASSED = new Set(['success', 'neutral', 'skipped']);

/** Combined states that fail: GitHub answers `failure` when any context errored or failed. */
const FAILED_STATES = new Set(['failure', 'error']);

export function checkRunState(run: CheckRunState): CiState {
  if (run.status !== 'completed') return 'pending';
  if (run.conclusion && FAILED.has(run.conclusion)) return 'failure';
  if (run.conclusion && PASSED.has(run.conclusion)) return 'success';
  // `stale` (GitHub's mark on a run left incomplete for 14 days) or none: not passed yet.
  return 'pending';
}

/**
 * Failure when a status or a completed check run failed; otherwise pending while any is pending;
 * otherwise success. With neither, GitHub's combined state as it is (`pending`).
 */
export function ciStatus(combined: CombinedStatus, runs: CheckRunState[]): string {
  const states = runs.map(checkRunState);
  // GitHub answers `pending` for a commit without statuses: that says nothing about CI.
  if (combined.total_count > 0) {
    const { state } = combined;
    states.push(state === 'success' ? 'success' : FAILED_STATES.has(state) ? 'failure' : 'pending');
  }
  if (states.length === 0) return combined.state;
  if (states.includes('failure')) return 'failure';
  if (states.includes('pending')) return 'pending';
  return 'success';
}
