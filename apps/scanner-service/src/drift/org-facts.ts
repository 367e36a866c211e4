/**
 * What the scan read about the organization itself, once per scan. A part left undefined could
 * not be read (a permission is missing): the checks on it are skipped, not passed.
 */
export interface OrgFacts {
  login: string;
  settings?: {
    twoFactorRequired: boolean | null;
    defaultRepositoryPermission: string | null;
    membersCanCreatePublicRepositories: boolean | null;
  };
  owners?: string[];
  actions?: { allowedActions: string | null; enabledRepositories: string };
  workflow?: { defaultWorkflowPermissions: string; canApprovePullRequestReviews: boolean };
  hooks?: Array<{ id: number; url: string; hasSecret: boolean; insecureSsl: boolean }>;
  /** Team slug -> repositories it administers. */
  teamAdminRepos?: Record<string, number>;
}
