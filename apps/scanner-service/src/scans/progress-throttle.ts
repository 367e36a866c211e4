/**
 * When to publish progress: at most every 250 ms or every 25 repositories, whichever comes
 * first, and always the last one. Pure, so the rule is tested without a clock or a bus.
 */
export const PROGRESS_INTERVAL_MS = 250;
export const PROGRESS_EVERY_REPOS = 25;

export interface ThrottleState {
  lastEmitAt: number;
  lastEmittedScanned: number;
}

export function shouldEmitProgress(
  state: ThrottleState,
  now: number,
  reposScanned: number,
  reposTotal: number,
): boolean {
  if (reposScanned === state.lastEmittedScanned) return false;
  if (reposScanned >= reposTotal) return true;
  if (reposScanned - state.lastEmittedScanned >= PROGRESS_EVERY_REPOS) return true;
  return now - state.lastEmitAt >= PROGRESS_INTERVAL_MS;
}
