import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { ScannerEventTypes, ScannerSubjects } from '#libs/contracts/src/index.js';
import { freePort, waitFor } from '#libs/testing/src/index.js';
import { spawnService } from '../support/service-process.js';
import { startScannerHarness, type ScannerHarness } from './support/scanner-harness.js';

/**
 * A scanner process killed with SIGKILL in the middle of a scan: its job is redelivered to another
 * replica after the ack wait, which resumes from the checkpoint. No repository is counted twice.
 */
describe('a scanner killed mid-scan', () => {
  let h: ScannerHarness;
  const workspaceId = randomUUID();

  beforeAll(async () => {
    h = await startScannerHarness(
      { repos: 240, seed: 21, latencyMs: 15 },
      { GITHUB_CONCURRENCY: '4', SCAN_JOB_ACK_WAIT_MS: '1500' },
      { inProcessScanner: false },
    );
  });
  afterAll(() => h.close());

  test('resumes on another replica where it stopped, without counting a repository twice', async () => {
    const port = await freePort();
    const doomed = spawnService('scanner-service', {
      ...h.env,
      PORT: String(port),
      LOG_LEVEL: 'warn',
    });
    try {
      await waitFor(
        async () =>
          (await fetch(`http://127.0.0.1:${port}/health/ready`).catch(() => undefined))?.ok
            ? true
            : undefined,
        { timeoutMs: 20_000, what: 'the scanner process to be ready' },
      );
      await h.connectGithub(workspaceId);
      const reply = await h.request<{ scanId: string }>(ScannerSubjects.scanOrg, workspaceId);
      if (!reply.ok) throw new Error(JSON.stringify(reply.error));
      const scanId = reply.value.scanId;
      await waitFor(
        () =>
          h
            .eventsOf(workspaceId, ScannerEventTypes.scanProgress)
            .find((e) => e.data.reposScanned >= 60),
        { timeoutMs: 20_000, what: 'the scan to get going' },
      );
      doomed.child.kill('SIGKILL');
      await doomed.exited;
      const [atKill] = await h.db.query(
        `SELECT repos_scanned, status FROM scanner.scans WHERE id = $1`,
        [scanId],
      );
      expect(atKill!.status).toBe('scanning');
      expect(atKill!.repos_scanned).toBeGreaterThanOrEqual(60);
      expect(atKill!.repos_scanned).toBeLessThan(240);

      await h.startScanner({ GITHUB_CONCURRENCY: '8', SCAN_JOB_ACK_WAIT_MS: '1500' });
      const completed = await h.waitForEvent(workspaceId, ScannerEventTypes.scanCompleted, 30_000);
      expect(completed.data).toMatchObject({
        scanId,
        reposScanned: 240,
        reposTotal: 240,
        reposFailed: 0,
      });
      const [counts] = await h.db.query(
        `SELECT s.repos_scanned, (SELECT count(*)::int FROM scanner.scan_repos r
            WHERE r.scan_id = s.id AND r.state = 'done') AS done
         FROM scanner.scans s WHERE s.id = $1`,
        [scanId],
      );
      expect(counts).toEqual({ repos_scanned: 240, done: 240 });
      const findings = await h.db.query(
        `SELECT count(DISTINCT github_id)::int AS repos FROM scanner.repos
         WHERE workspace_id = $1 AND scan_state = 'scanned'`,
        [workspaceId],
      );
      expect(findings[0]!.repos).toBe(240);
      // The gateway saw counts that never went back, and every repository's results once at least.
      const progress = h
        .eventsOf(workspaceId, ScannerEventTypes.scanProgress)
        .map((e) => e.data.reposScanned as number);
      expect(progress.every((n, i) => i === 0 || n >= progress[i - 1]!)).toBe(true);
      const published = new Set(
        h
          .eventsOf(workspaceId, ScannerEventTypes.reposUpdated)
          .filter((e) => e.data.scanId === scanId)
          .flatMap((e) => e.data.repos.map((r: any) => r.githubId)),
      );
      expect(published.size).toBe(240);
      expect(h.eventsOf(workspaceId, ScannerEventTypes.scanStarted)).toHaveLength(1);
    } finally {
      if (doomed.child.exitCode === null) doomed.child.kill('SIGKILL');
    }
  });
});
