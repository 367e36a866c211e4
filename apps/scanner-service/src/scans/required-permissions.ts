import { SCAN_CHECKS, type ScanCheckKey, type SkippedCheck } from '#libs/contracts/src/index.js';
import { enabledChecks, type Baseline } from '../drift/baseline.js';
import type { GithubApp } from '../github/github-app.js';

/**
 * What the scan reads and the GitHub App permission each needs: repository metadata and
 * collaborators (`metadata`) always; beyond that, what the enabled checks need (see each check's
 * `needs` in libs/contracts/src/scanner-checks.ts).
 */
const ALWAYS: Record<string, 'read' | 'write'> = { metadata: 'read' };

const LEVEL: Record<string, number> = { read: 1, write: 2, admin: 3 };

const grants = (granted: Record<string, string>, permission: string, level: string) =>
  (LEVEL[granted[permission] ?? ''] ?? 0) >= LEVEL[level]!;

export function requiredPermissions(baseline: Baseline): Record<string, 'read' | 'write'> {
  const required = { ...ALWAYS };
  for (const key of enabledChecks(baseline)) {
    for (const need of SCAN_CHECKS[key].needs) {
      if (required[need.permission] !== 'write') required[need.permission] = need.level;
    }
  }
  return required;
}

export function missingPermissions(
  granted: Record<string, string>,
  baseline: Baseline,
): Array<{ permission: string; required: 'read' | 'write'; granted: string | null }> {
  return Object.entries(requiredPermissions(baseline))
    .filter(([name, level]) => !grants(granted, name, level))
    .map(([permission, required]) => ({
      permission,
      required,
      granted: granted[permission] ?? null,
    }));
}

/** The enabled checks the granted permissions let run. */
export function runnableChecks(
  granted: Record<string, string>,
  baseline: Baseline,
): Set<ScanCheckKey> {
  return new Set(
    enabledChecks(baseline).filter((key) =>
      SCAN_CHECKS[key].needs.every((n) => grants(granted, n.permission, n.level)),
    ),
  );
}

/** The enabled checks that cannot run, each with the first permission it lacks. */
export function skippedChecks(granted: Record<string, string>, baseline: Baseline): SkippedCheck[] {
  return enabledChecks(baseline).flatMap((key) => {
    const lacking = SCAN_CHECKS[key].needs.find((n) => !grants(granted, n.permission, n.level));
    return lacking
      ? [
          {
            check: SCAN_CHECKS[key].id,
            permission: lacking.permission,
            required: lacking.level,
            granted: granted[lacking.permission] ?? null,
          },
        ]
      : [];
  });
}

/** The permissions GitHub grants the installation now (asked as the app, not the installation). */
export async function grantedPermissions(
  github: GithubApp,
  installationId: string,
): Promise<Record<string, string>> {
  const response = await github.asApp().request('GET /app/installations/{installation_id}', {
    installation_id: Number(installationId),
  });
  return (response.data.permissions ?? {}) as Record<string, string>;
}
