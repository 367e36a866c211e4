import type { Severity } from './scanner.js';

/** A GitHub App permission and the level a check needs of it. */
export interface PermissionNeed {
  permission: string;
  level: 'read' | 'write';
}

/**
 * One check of the baseline: what it looks at, why it matters, how to fix it and the GitHub App
 * permissions its input needs (without them the scan skips it: never reported as passed).
 */
export interface ScanCheckDefinition {
  /** The finding's `check` and the SARIF rule id. */
  id: string;
  scope: 'repository' | 'organization';
  title: string;
  description: string;
  remediation: string;
  reference: string;
  severity: Severity;
  enabled: boolean;
  needs: PermissionNeed[];
}

const DOCS = 'https://docs.github.com/en';
const read = (permission: string): PermissionNeed => ({ permission, level: 'read' });
/** Effective protection combines classic protection with repository and organization rulesets. */
const PROTECTION = [read('administration'), read('organization_administration')];

/** Every check, keyed by its baseline name (the key in `SCAN_BASELINE`). */
export const SCAN_CHECKS = {
  defaultBranchProtected: {
    id: 'default_branch_protected',
    scope: 'repository',
    title: 'Default branch protected',
    description:
      'The default branch is protected by classic branch protection or by an active repository or organization ruleset.',
    remediation:
      'Protect the default branch: add a ruleset (or a classic branch protection rule) that targets it.',
    reference: `${DOCS}/repositories/configuring-branches-and-merges-in-your-repository/managing-rulesets/about-rulesets`,
    severity: 'high',
    enabled: true,
    needs: PROTECTION,
  },
  requiredReviews: {
    id: 'required_reviews',
    scope: 'repository',
    title: 'Pull request reviews required',
    description:
      'Changes to the default branch need at least the baseline number of approving reviews (the strictest of all rules that apply).',
    remediation:
      'Require pull requests with approving reviews on the default branch (ruleset rule "Require a pull request before merging").',
    reference: `${DOCS}/repositories/configuring-branches-and-merges-in-your-repository/managing-rulesets/available-rules-for-rulesets#require-a-pull-request-before-merging`,
    severity: 'medium',
    enabled: true,
    needs: PROTECTION,
  },
  staleReviewsDismissed: {
    id: 'stale_reviews_dismissed',
    scope: 'repository',
    title: 'Stale reviews dismissed',
    description: 'Approvals are dismissed when new commits are pushed to a pull request.',
    remediation: 'Turn on "Dismiss stale pull request approvals when new commits are pushed".',
    reference: `${DOCS}/repositories/configuring-branches-and-merges-in-your-repository/managing-protected-branches/about-protected-branches#require-pull-request-reviews-before-merging`,
    severity: 'low',
    enabled: true,
    needs: PROTECTION,
  },
  codeOwnerReview: {
    id: 'code_owner_review',
    scope: 'repository',
    title: 'Code owner review required',
    description: 'Changes to files with code owners need a review from one of them.',
    remediation: 'Turn on "Require review from Code Owners" and keep a CODEOWNERS file.',
    reference: `${DOCS}/repositories/managing-your-repositorys-settings-and-features/customizing-your-repository/about-code-owners`,
    severity: 'low',
    enabled: false,
    needs: PROTECTION,
  },
  adminsEnforced: {
    id: 'admins_enforced',
    scope: 'repository',
    title: 'Rules enforced on administrators',
    description:
      'Administrators cannot bypass the default branch protection: classic "Do not allow bypassing" or a ruleset without an admin bypass.',
    remediation:
      'Remove administrators from the ruleset bypass list, or turn on "Do not allow bypassing the above settings".',
    reference: `${DOCS}/repositories/configuring-branches-and-merges-in-your-repository/managing-rulesets/creating-rulesets-for-a-repository#granting-bypass-permissions-for-your-branch-or-tag-ruleset`,
    severity: 'low',
    enabled: false,
    needs: PROTECTION,
  },
  forcePushBlocked: {
    id: 'force_push_blocked',
    scope: 'repository',
    title: 'Force pushes blocked',
    description: 'Nobody can force-push to the default branch and rewrite its history.',
    remediation: 'Add the "Block force pushes" rule (or leave "Allow force pushes" off).',
    reference: `${DOCS}/repositories/configuring-branches-and-merges-in-your-repository/managing-rulesets/available-rules-for-rulesets#block-force-pushes`,
    severity: 'medium',
    enabled: true,
    needs: PROTECTION,
  },
  deletionBlocked: {
    id: 'deletion_blocked',
    scope: 'repository',
    title: 'Deletion blocked',
    description: 'The default branch cannot be deleted.',
    remediation: 'Add the "Restrict deletions" rule (or leave "Allow deletions" off).',
    reference: `${DOCS}/repositories/configuring-branches-and-merges-in-your-repository/managing-rulesets/available-rules-for-rulesets#restrict-deletions`,
    severity: 'medium',
    enabled: true,
    needs: PROTECTION,
  },
  statusChecksRequired: {
    id: 'status_checks_required',
    scope: 'repository',
    title: 'Status checks required',
    description: 'Changes reach the default branch only after required status checks pass.',
    remediation: 'Add the "Require status checks to pass" rule with your CI checks.',
    reference: `${DOCS}/repositories/configuring-branches-and-merges-in-your-repository/managing-rulesets/available-rules-for-rulesets#require-status-checks-to-pass-before-merging`,
    severity: 'low',
    enabled: true,
    needs: PROTECTION,
  },
  signedCommits: {
    id: 'signed_commits',
    scope: 'repository',
    title: 'Signed commits required',
    description: 'Commits on the default branch must carry verified signatures.',
    remediation: 'Add the "Require signed commits" rule.',
    reference: `${DOCS}/repositories/configuring-branches-and-merges-in-your-repository/managing-rulesets/available-rules-for-rulesets#require-signed-commits`,
    severity: 'low',
    enabled: false,
    needs: PROTECTION,
  },
  secretScanningOnPrivate: {
    id: 'secret_scanning',
    scope: 'repository',
    title: 'Secret scanning on private repositories',
    description: 'Secret scanning is enabled on private repositories.',
    remediation: 'Enable secret scanning in the repository (or organization) security settings.',
    reference: `${DOCS}/code-security/secret-scanning/introduction/about-secret-scanning`,
    severity: 'medium',
    enabled: true,
    needs: [read('administration')],
  },
  pushProtection: {
    id: 'secret_scanning_push_protection',
    scope: 'repository',
    title: 'Secret scanning push protection',
    description: 'Pushes that contain secrets are blocked before they reach the repository.',
    remediation: 'Enable push protection in the repository (or organization) security settings.',
    reference: `${DOCS}/code-security/secret-scanning/introduction/about-push-protection`,
    severity: 'low',
    enabled: true,
    needs: [read('administration')],
  },
  vulnerabilityAlerts: {
    id: 'vulnerability_alerts',
    scope: 'repository',
    title: 'Dependabot alerts enabled',
    description: 'Dependabot (vulnerability) alerts are enabled for the repository.',
    remediation: 'Enable Dependabot alerts in the repository (or organization) security settings.',
    reference: `${DOCS}/code-security/dependabot/dependabot-alerts/about-dependabot-alerts`,
    severity: 'medium',
    enabled: true,
    needs: [read('administration')],
  },
  securityPolicy: {
    id: 'security_policy',
    scope: 'repository',
    title: 'Security policy present',
    description: 'The repository (or the organization) publishes a SECURITY.md policy.',
    remediation: 'Add a SECURITY.md telling people how to report vulnerabilities.',
    reference: `${DOCS}/code-security/getting-started/adding-a-security-policy-to-your-repository`,
    severity: 'low',
    enabled: true,
    needs: [read('metadata')],
  },
  noOutsideAdmins: {
    id: 'outside_admin',
    scope: 'repository',
    title: 'No outside collaborator with admin',
    description: 'No outside collaborator has admin access to the repository.',
    remediation: 'Lower the outside collaborator to read, or make them an organization member.',
    reference: `${DOCS}/organizations/managing-user-access-to-your-organizations-repositories/managing-outside-collaborators`,
    severity: 'high',
    enabled: true,
    needs: [read('metadata'), read('members')],
  },
  noOutsideWriters: {
    id: 'outside_write',
    scope: 'repository',
    title: 'No outside collaborator with write',
    description: 'No outside collaborator can push (write or maintain) to the repository.',
    remediation: 'Give outside collaborators read access, or review and document the exception.',
    reference: `${DOCS}/organizations/managing-user-access-to-your-organizations-repositories/managing-outside-collaborators`,
    severity: 'medium',
    enabled: true,
    needs: [read('metadata'), read('members')],
  },
  twoFactorRequired: {
    id: 'org_two_factor_required',
    scope: 'organization',
    title: 'Two-factor authentication required',
    description: 'Every member, collaborator and manager must use two-factor authentication.',
    remediation: 'Turn on "Require two-factor authentication" in the organization settings.',
    reference: `${DOCS}/organizations/keeping-your-organization-secure/managing-two-factor-authentication-for-your-organization/requiring-two-factor-authentication-in-your-organization`,
    severity: 'high',
    enabled: true,
    needs: [read('organization_administration')],
  },
  defaultRepositoryPermission: {
    id: 'org_default_repository_permission',
    scope: 'organization',
    title: 'Default repository permission',
    description: 'Members get no more than the baseline permission on every repository by default.',
    remediation: 'Set the base permission to "Read" or "No permission" in Member privileges.',
    reference: `${DOCS}/organizations/managing-user-access-to-your-organizations-repositories/managing-repository-roles/setting-base-permissions-for-an-organization`,
    severity: 'medium',
    enabled: true,
    needs: [read('organization_administration')],
  },
  publicRepositoryCreation: {
    id: 'org_public_repository_creation',
    scope: 'organization',
    title: 'Members cannot create public repositories',
    description: 'Only owners can create public repositories.',
    remediation: 'Untick "Public" under Repository creation in Member privileges.',
    reference: `${DOCS}/organizations/managing-organization-settings/restricting-repository-creation-in-your-organization`,
    severity: 'medium',
    enabled: true,
    needs: [read('organization_administration')],
  },
  ownerCount: {
    id: 'org_owner_count',
    scope: 'organization',
    title: 'Owners: at least two, not too many',
    description:
      'The organization has at least the minimum number of owners (no single point of failure) and no more than the maximum.',
    remediation: 'Promote a second owner, or demote owners who do not need the role.',
    reference: `${DOCS}/organizations/managing-peoples-access-to-your-organization-with-roles/maintaining-ownership-continuity-for-your-organization`,
    severity: 'medium',
    enabled: true,
    needs: [read('members')],
  },
  actionsTokenPermissions: {
    id: 'org_actions_token_permissions',
    scope: 'organization',
    title: 'Read-only GITHUB_TOKEN by default',
    description: "Workflows' GITHUB_TOKEN defaults to read-only and cannot approve pull requests.",
    remediation:
      'Set "Workflow permissions" to "Read repository contents and packages permissions" and untick "Allow GitHub Actions to create and approve pull requests".',
    reference: `${DOCS}/organizations/managing-organization-settings/disabling-or-limiting-github-actions-for-your-organization#setting-the-permissions-of-the-github_token-for-your-organization`,
    severity: 'medium',
    enabled: true,
    needs: [read('organization_administration')],
  },
  actionsAllowed: {
    id: 'org_actions_allowed',
    scope: 'organization',
    title: 'Only selected actions allowed',
    description: 'Workflows may run only local actions, GitHub-made or selected actions.',
    remediation: 'Under Actions policies, allow only selected (or local) actions.',
    reference: `${DOCS}/organizations/managing-organization-settings/disabling-or-limiting-github-actions-for-your-organization#managing-github-actions-permissions-for-your-organization`,
    severity: 'low',
    enabled: true,
    needs: [read('organization_administration')],
  },
  webhookSecret: {
    id: 'org_webhook_secret',
    scope: 'organization',
    title: 'Organization webhooks have a secret',
    description: 'Every organization webhook signs its deliveries with a secret.',
    remediation: 'Give each organization webhook a secret and verify signatures at the receiver.',
    reference: `${DOCS}/webhooks/using-webhooks/validating-webhook-deliveries`,
    severity: 'high',
    enabled: true,
    needs: [read('organization_hooks')],
  },
  webhookSsl: {
    id: 'org_webhook_ssl',
    scope: 'organization',
    title: 'Organization webhooks verify SSL',
    description: 'No organization webhook delivers with SSL verification turned off.',
    remediation: 'Turn SSL verification on for every organization webhook.',
    reference: `${DOCS}/webhooks/using-webhooks/best-practices-for-using-webhooks`,
    severity: 'high',
    enabled: true,
    needs: [read('organization_hooks')],
  },
  teamAdminBreadth: {
    id: 'team_admin_breadth',
    scope: 'organization',
    title: 'No team admin on many repositories',
    description: 'No team has admin access to more repositories than the baseline allows.',
    remediation: 'Lower the team to maintain or write on the repositories it does not administer.',
    reference: `${DOCS}/organizations/managing-user-access-to-your-organizations-repositories/managing-repository-roles/repository-roles-for-an-organization`,
    severity: 'medium',
    enabled: true,
    needs: [read('members')],
  },
} as const satisfies Record<string, ScanCheckDefinition>;

export type ScanCheckKey = keyof typeof SCAN_CHECKS;
export const SCAN_CHECK_KEYS = Object.keys(SCAN_CHECKS) as ScanCheckKey[];
export const ALL_SCAN_CHECKS: ScanCheckDefinition[] = Object.values(SCAN_CHECKS);

export function scanCheckById(id: string): ScanCheckDefinition | undefined {
  return ALL_SCAN_CHECKS.find((c) => c.id === id);
}
