import {
  ScannerEventTypes,
  type Envelope,
  type ScanCompletedData,
  type ScanFailedData,
  type ScanProgressData,
  type ScanStartedData,
  type SkippedCheck,
} from '#libs/contracts/src/index.js';

/** The gateway's row for a workspace's current or last scan. */
export interface ScanState {
  scanId: string;
  status: 'queued' | 'scanning' | 'rate_limited' | 'completed' | 'failed';
  reposScanned: number;
  reposTotal: number;
  reposFailed: number;
  startedAt: string;
  rateLimitResetAt: string | null;
  failureReason: string | null;
  lastCompletedAt: string | null;
  lastCompletedScanId: string | null;
  /** Checks the last completed scan could not run (permissions): neither passed nor failed. */
  lastSkippedChecks: SkippedCheck[];
}

/**
 * How a scanner event changes the scan state: pure. Events of an older scan than the one shown
 * change nothing (a late progress of a finished scan must not reopen it), and counts never go
 * back.
 */
export function evolveScanState(
  state: ScanState | undefined,
  event: Envelope<string, unknown>,
): ScanState | undefined {
  const data = event.data as { scanId?: string; startedAt?: string };
  if (!data?.scanId) return undefined;
  const sameScan = state?.scanId === data.scanId;
  const newer = !state || (!sameScan && (data.startedAt ?? '') >= state.startedAt);
  if (!sameScan && !newer) return undefined;
  const base: ScanState =
    sameScan && state
      ? state
      : {
          scanId: data.scanId,
          status: 'scanning',
          reposScanned: 0,
          reposTotal: 0,
          reposFailed: 0,
          startedAt: data.startedAt ?? event.occurredAt,
          rateLimitResetAt: null,
          failureReason: null,
          lastCompletedAt: state?.lastCompletedAt ?? null,
          lastCompletedScanId: state?.lastCompletedScanId ?? null,
          lastSkippedChecks: state?.lastSkippedChecks ?? [],
        };
  const terminal = base.status === 'completed' || base.status === 'failed';
  switch (event.type) {
    case ScannerEventTypes.scanQueued:
      return sameScan ? undefined : { ...base, status: 'queued' };
    case ScannerEventTypes.scanStarted: {
      if (terminal) return undefined;
      const started = event.data as ScanStartedData;
      return {
        ...base,
        status: base.status === 'queued' ? 'scanning' : base.status,
        reposTotal: Math.max(base.reposTotal, started.reposTotal),
      };
    }
    case ScannerEventTypes.scanProgress: {
      if (terminal) return undefined;
      const progress = event.data as ScanProgressData;
      if (progress.reposScanned < base.reposScanned) return undefined;
      return {
        ...base,
        status: progress.status,
        reposScanned: progress.reposScanned,
        reposTotal: progress.reposTotal,
        reposFailed: progress.reposFailed,
        rateLimitResetAt: progress.status === 'rate_limited' ? progress.rateLimitResetAt : null,
      };
    }
    case ScannerEventTypes.scanCompleted: {
      const completed = event.data as ScanCompletedData;
      return {
        ...base,
        status: 'completed',
        reposScanned: completed.reposScanned,
        reposTotal: completed.reposTotal,
        reposFailed: completed.reposFailed,
        rateLimitResetAt: null,
        lastCompletedAt: completed.completedAt,
        lastCompletedScanId: completed.scanId,
        lastSkippedChecks: completed.skippedChecks ?? [],
      };
    }
    case ScannerEventTypes.scanFailed: {
      const failed = event.data as ScanFailedData;
      return {
        ...base,
        status: 'failed',
        reposScanned: Math.max(base.reposScanned, failed.reposScanned),
        reposTotal: failed.reposTotal,
        rateLimitResetAt: null,
        failureReason: failed.reason,
      };
    }
    default:
      return undefined;
  }
}

/** The TinyOps Integrations API's scan-progress shape, exactly; `resetAt` is added only while rate limited. */
export interface ScanProgressView {
  status: 'idle' | 'queued' | 'scanning' | 'rate_limited' | 'completed' | 'failed';
  progress: number;
  reposScanned: number;
  reposTotal: number;
  startedAt: string | null;
  resetAt?: string;
}

export function toProgressView(state: ScanState | undefined): ScanProgressView {
  if (!state) {
    return { status: 'idle', progress: 0, reposScanned: 0, reposTotal: 0, startedAt: null };
  }
  const progress =
    state.status === 'completed'
      ? 100
      : state.reposTotal > 0
        ? Math.min(100, Math.floor((state.reposScanned * 100) / state.reposTotal))
        : 0;
  return {
    status: state.status,
    progress,
    reposScanned: state.reposScanned,
    reposTotal: state.reposTotal,
    startedAt: state.startedAt,
    ...(state.status === 'rate_limited' && state.rateLimitResetAt
      ? { resetAt: state.rateLimitResetAt }
      : {}),
  };
}
