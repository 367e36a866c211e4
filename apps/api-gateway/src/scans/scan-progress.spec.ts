import { describe, expect, test } from '@jest/globals';
import { createEnvelope, ScannerEventTypes } from '#libs/contracts/src/index.js';
import { evolveScanState, toProgressView } from './scan-progress.js';

const event = (type: string, data: Record<string, unknown>) =>
  createEnvelope({ type, data, workspaceId: 'w' });
const A = { scanId: 'a', startedAt: '2026-04-30T08:00:00.000Z' };
const B = { scanId: 'b', startedAt: '2026-04-30T09:00:00.000Z' };
const progress = (scan: typeof A, reposScanned: number, extra: Record<string, unknown> = {}) =>
  event(ScannerEventTypes.scanProgress, {
    ...scan,
    status: 'scanning',
    reposScanned,
    reposTotal: 64,
    reposFailed: 0,
    rateLimitResetAt: null,
    ...extra,
  });

describe('the gateway projection of scan progress', () => {
  test('shape of the TinyOps Integrations API: idle before any scan, then status, progress, counts and start', () => {
    expect(toProgressView(undefined)).toEqual({
      status: 'idle',
      progress: 0,
      reposScanned: 0,
      reposTotal: 0,
      startedAt: null,
    });
    const started = evolveScanState(
      undefined,
      event(ScannerEventTypes.scanStarted, { ...A, reposTotal: 0 }),
    );
    const state = evolveScanState(started, progress(A, 42));
    expect(toProgressView(state)).toEqual({
      status: 'scanning',
      progress: 65,
      reposScanned: 42,
      reposTotal: 64,
      startedAt: A.startedAt,
    });
  });

  test('a queued scan shows as queued until a scanner starts it', () => {
    const queued = evolveScanState(undefined, event(ScannerEventTypes.scanQueued, A));
    expect(toProgressView(queued)).toEqual({
      status: 'queued',
      progress: 0,
      reposScanned: 0,
      reposTotal: 0,
      startedAt: A.startedAt,
    });
    const started = evolveScanState(
      queued,
      event(ScannerEventTypes.scanStarted, { ...A, reposTotal: 0 }),
    );
    expect(started).toMatchObject({ status: 'scanning' });
    expect(evolveScanState(started, event(ScannerEventTypes.scanQueued, A))).toBeUndefined();
  });

  test('rate limited shows the reset time; counts never go back; a finished scan stays finished', () => {
    const s1 = evolveScanState(undefined, progress(A, 10));
    const limited = evolveScanState(
      s1,
      progress(A, 12, { status: 'rate_limited', rateLimitResetAt: '2026-04-30T08:05:00.000Z' }),
    );
    expect(toProgressView(limited)).toMatchObject({
      status: 'rate_limited',
      resetAt: '2026-04-30T08:05:00.000Z',
    });
    expect(evolveScanState(limited, progress(A, 5))).toBeUndefined();
    const done = evolveScanState(
      limited,
      event(ScannerEventTypes.scanCompleted, {
        ...A,
        completedAt: '2026-04-30T08:10:00.000Z',
        reposScanned: 64,
        reposTotal: 64,
        reposFailed: 0,
      }),
    );
    expect(toProgressView(done)).toMatchObject({ status: 'completed', progress: 100 });
    expect(done!.lastCompletedAt).toBe('2026-04-30T08:10:00.000Z');
    expect(evolveScanState(done, progress(A, 63))).toBeUndefined();
  });

  test('a newer scan replaces the shown one but keeps the last completion; an older one is ignored', () => {
    const done = evolveScanState(
      undefined,
      event(ScannerEventTypes.scanCompleted, {
        ...A,
        completedAt: '2026-04-30T08:10:00.000Z',
        reposScanned: 1,
        reposTotal: 1,
        reposFailed: 0,
      }),
    );
    const next = evolveScanState(
      done,
      event(ScannerEventTypes.scanStarted, { ...B, reposTotal: 0 }),
    );
    expect(next).toMatchObject({ scanId: 'b', status: 'scanning', lastCompletedScanId: 'a' });
    expect(evolveScanState(next, progress(A, 1))).toBeUndefined();
  });
});
