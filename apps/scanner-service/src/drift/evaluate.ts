import type { Finding, RepoRecord } from '#libs/contracts/src/index.js';
import { Checks, type Baseline } from './baseline.js';

/**
 * Drift of one repository from the baseline: pure, no I/O. A check whose input the scan could
 * not read (protection hidden by missing permissions, secret scanning unknown) yields nothing
 * rather than a guess; `scan-permissions` says what is missing.
 */
export function evaluateDrift(repo: RepoRecord, baseline: Baseline): Finding[] {
  if (baseline.skipArchived && repo.archived) return [];
  const findings: Finding[] = [];
  const add = (check: string, expected: unknown, actual: unknown, severity: Finding['severity']) =>
    findings.push({ repo: repo.fullName, check, expected, actual, severity });

  const protection = repo.protection;
  if (protection !== undefined && repo.defaultBranch !== null) {
    if (protection === null) {
      if (baseline.defaultBranchProtected.enabled) {
        add(Checks.defaultBranchProtected, true, false, baseline.defaultBranchProtected.severity);
      }
    } else {
      const { requiredReviews, adminsEnforced } = baseline;
      if (requiredReviews.enabled && protection.requiredReviews < requiredReviews.minimum) {
        add(
          Checks.requiredReviews,
          `>= ${requiredReviews.minimum}`,
          protection.requiredReviews,
          requiredReviews.severity,
        );
      }
      if (adminsEnforced.enabled && !protection.enforceAdmins) {
        add(Checks.adminsEnforced, true, false, adminsEnforced.severity);
      }
    }
  }

  if (baseline.noOutsideAdmins.enabled && repo.collaborators) {
    const outsideAdmins = repo.collaborators
      .filter((c) => c.outside && c.permission === 'admin')
      .map((c) => c.login)
      .sort();
    if (outsideAdmins.length > 0) {
      add(Checks.noOutsideAdmins, [], outsideAdmins, baseline.noOutsideAdmins.severity);
    }
  }

  if (
    baseline.secretScanningOnPrivate.enabled &&
    repo.private &&
    repo.secretScanning === 'disabled'
  ) {
    add(
      Checks.secretScanningOnPrivate,
      'enabled',
      'disabled',
      baseline.secretScanningOnPrivate.severity,
    );
  }
  return findings;
}
