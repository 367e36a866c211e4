import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { ScannerEventTypes, ScannerSubjects, type Finding } from '#libs/contracts/src/index.js';
import { orgFromRepos } from '../../tools/github-simulator/src/index.js';
import { startScannerHarness, type ScannerHarness } from './scanner-harness.js';

const protectedWith = (requiredReviews: number) => ({
  requiredReviews,
  requiresStatusChecks: false,
  statusChecks: [],
  enforceAdmins: false,
});

/** Six repositories whose drift is known by construction. */
const org = orgFromRepos(
  'acme',
  [
    { name: 'api', private: true, protection: protectedWith(2), secretScanning: true },
    { name: 'web', private: false, protection: null, secretScanning: true },
    { name: 'billing', private: true, protection: protectedWith(0), secretScanning: false },
    { name: 'legacy', private: true, archived: true, protection: null, secretScanning: false },
    {
      name: 'tools',
      private: false,
      protection: protectedWith(1),
      collaborators: [
        { login: 'contractor-x', permission: 'admin' },
        { login: 'dev-1', permission: 'admin' },
        { login: 'contractor-y', permission: 'push' },
      ],
    },
    {
      name: 'docs',
      private: false,
      fork: true,
      protection: protectedWith(1),
      secretScanning: false,
    },
  ],
  [{ slug: 'platform', repos: { api: 'admin', web: 'push' } }],
  ['contractor-x', 'contractor-y'],
);

describe('a full scan of an organization', () => {
  let h: ScannerHarness;
  const workspaceId = randomUUID();

  beforeAll(async () => {
    h = await startScannerHarness({ org });
    await h.connectGithub(workspaceId);
  });
  afterAll(() => h.close());

  test('connecting GitHub discovers the repositories before any scan', async () => {
    const discovered = await h.waitForEvent(workspaceId, ScannerEventTypes.reposUpdated);
    expect(discovered.data.repos.map((r: any) => r.fullName).sort()).toEqual([
      'acme/api',
      'acme/billing',
      'acme/docs',
      'acme/legacy',
      'acme/tools',
      'acme/web',
    ]);
    expect(discovered.data.repos.every((r: any) => r.scanState === 'discovered')).toBe(true);
    expect(h.eventsOf(workspaceId, ScannerEventTypes.scanStarted)).toHaveLength(0);
  });

  test('finds exactly the expected drift, with repo, check, expected, actual and severity', async () => {
    const reply = await h.request<any>(ScannerSubjects.scanOrg, workspaceId);
    expect(reply).toMatchObject({ ok: true, value: { status: 'queued', alreadyRunning: false } });
    const completed = await h.waitForEvent(workspaceId, ScannerEventTypes.scanCompleted);
    expect(completed.data).toMatchObject({
      reposScanned: 6,
      reposTotal: 6,
      reposFailed: 0,
      findings: 4,
    });
    const findings = await h.db.query<Finding>(
      `SELECT repo, check_name AS "check", expected, actual, severity FROM scanner.findings
       WHERE workspace_id = $1 ORDER BY repo, check_name`,
      [workspaceId],
    );
    expect(findings).toEqual([
      {
        repo: 'acme/billing',
        check: 'required_reviews',
        expected: '>= 1',
        actual: 0,
        severity: 'medium',
      },
      {
        repo: 'acme/billing',
        check: 'secret_scanning',
        expected: 'enabled',
        actual: 'disabled',
        severity: 'medium',
      },
      {
        repo: 'acme/tools',
        check: 'outside_admin',
        expected: [],
        actual: ['contractor-x'],
        severity: 'high',
      },
      {
        repo: 'acme/web',
        check: 'default_branch_protected',
        expected: true,
        actual: false,
        severity: 'high',
      },
    ]);
    // The same findings reached the bus, for the gateway's read model.
    const scanId = (reply as { value: { scanId: string } }).value.scanId;
    const published = h
      .eventsOf(workspaceId, ScannerEventTypes.reposUpdated)
      .filter((e) => e.data.scanId === scanId)
      .flatMap((e) => e.data.repos.flatMap((r: any) => r.findings ?? []));
    expect(published).toHaveLength(4);
  });

  test('records visibility, protection, collaborators and teams per repository', async () => {
    const rows = await h.db.query(
      `SELECT full_name, private, archived, fork, default_branch, protection, collaborators, teams, secret_scanning
       FROM scanner.repos WHERE workspace_id = $1 ORDER BY full_name`,
      [workspaceId],
    );
    const api = rows.find((r) => r.full_name === 'acme/api')!;
    expect(api).toMatchObject({
      private: true,
      default_branch: 'main',
      protection: { requiredReviews: 2, requiresStatusChecks: false, enforceAdmins: false },
      teams: [{ slug: 'platform', permission: 'admin' }],
      secret_scanning: 'enabled',
    });
    const tools = rows.find((r) => r.full_name === 'acme/tools')!;
    expect(tools.collaborators).toEqual([
      { login: 'contractor-x', permission: 'admin', outside: true },
      { login: 'dev-1', permission: 'admin', outside: false },
      { login: 'contractor-y', permission: 'write', outside: true },
    ]);
    expect(rows.find((r) => r.full_name === 'acme/docs')).toMatchObject({ fork: true });
  });

  test('progress events count up to the total and the last one is complete', async () => {
    const progress = h.eventsOf(workspaceId, ScannerEventTypes.scanProgress).map((e) => e.data);
    expect(progress.length).toBeGreaterThan(0);
    const counts = progress.map((p) => p.reposScanned);
    expect([...counts].sort((a, b) => a - b)).toEqual(counts);
    expect(progress.at(-1)).toMatchObject({ reposScanned: 6, reposTotal: 6, status: 'scanning' });
  });
});
