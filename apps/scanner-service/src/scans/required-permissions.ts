/**
 * What the scan reads and the GitHub App permission each needs: repository metadata and
 * collaborators (`metadata`), branch protection, teams and secret scanning settings
 * (`administration`), outside collaborators and team membership (`members`, an org permission).
 */
export const REQUIRED_PERMISSIONS: Record<string, 'read' | 'write'> = {
  metadata: 'read',
  administration: 'read',
  members: 'read',
};

const LEVEL: Record<string, number> = { read: 1, write: 2, admin: 3 };

export function missingPermissions(
  granted: Record<string, string>,
): Array<{ permission: string; required: 'read' | 'write'; granted: string | null }> {
  return Object.entries(REQUIRED_PERMISSIONS)
    .filter(([name, level]) => (LEVEL[granted[name] ?? ''] ?? 0) < LEVEL[level]!)
    .map(([permission, required]) => ({
      permission,
      required,
      granted: granted[permission] ?? null,
    }));
}
