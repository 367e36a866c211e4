import type { BranchProtectionSummary, ProtectionSource } from '#libs/contracts/src/index.js';
import type { Ruleset } from './rulesets.js';

/** Classic branch protection of the default branch, as GraphQL's `BranchProtectionRule` says. */
export interface ClassicProtection {
  requiredReviews: number;
  requiresStatusChecks: boolean;
  enforceAdmins: boolean;
  dismissStaleReviews: boolean;
  requireCodeOwnerReviews: boolean;
  allowsForcePushes: boolean;
  allowsDeletions: boolean;
  requiresSignatures: boolean;
}

/** Bypass actors that let repository administrators past a ruleset. */
function adminsMayBypass(ruleset: Ruleset): boolean {
  return (ruleset.bypassActors ?? []).some(
    (a) =>
      a.actorType === 'OrganizationAdmin' ||
      (a.actorType === 'RepositoryRole' && a.actorId === ADMIN_ROLE_ID),
  );
}

/** GitHub's id of the built-in repository role `admin` in ruleset bypass lists. */
const ADMIN_ROLE_ID = 5;

/**
 * The default branch's protection as GitHub enforces it: every source that targets it counts,
 * each rule takes its strictest value, and a branch protected by rulesets alone is protected.
 * `rulesets` are those that target the branch (see `rulesetTargetsDefaultBranch`), with details.
 * Null: nothing protects it.
 */
export function effectiveProtection(
  classic: ClassicProtection | null,
  rulesets: Ruleset[],
): BranchProtectionSummary | null {
  const enforcing = rulesets.filter((r) => (r.rules ?? []).length > 0);
  if (!classic && enforcing.length === 0) return null;
  const rules = enforcing.flatMap((r) => r.rules ?? []);
  const has = (type: string) => rules.some((rule) => rule.type === type);
  const pullRequest = rules
    .filter((rule) => rule.type === 'pull_request')
    .map((rule) => rule.parameters ?? {});
  const sources: ProtectionSource[] = [
    ...(classic ? [{ kind: 'classic' as const, id: null, name: 'branch protection rule' }] : []),
    ...enforcing.map((r) => ({
      kind: `${r.source}_ruleset` as ProtectionSource['kind'],
      id: r.id,
      name: r.name,
    })),
  ];
  return {
    requiredReviews: Math.max(
      classic?.requiredReviews ?? 0,
      ...pullRequest.map((p) => Number(p.required_approving_review_count ?? 0)),
    ),
    requiresStatusChecks: Boolean(classic?.requiresStatusChecks) || has('required_status_checks'),
    enforceAdmins: Boolean(classic?.enforceAdmins) || enforcing.some((r) => !adminsMayBypass(r)),
    dismissStaleReviews:
      Boolean(classic?.dismissStaleReviews) ||
      pullRequest.some((p) => p.dismiss_stale_reviews_on_push === true),
    requireCodeOwnerReviews:
      Boolean(classic?.requireCodeOwnerReviews) ||
      pullRequest.some((p) => p.require_code_owner_review === true),
    blocksForcePushes: (classic ? !classic.allowsForcePushes : false) || has('non_fast_forward'),
    blocksDeletions: (classic ? !classic.allowsDeletions : false) || has('deletion'),
    requiresSignatures: Boolean(classic?.requiresSignatures) || has('required_signatures'),
    sources,
    bypassActors: enforcing.flatMap((r) =>
      (r.bypassActors ?? []).map((a) => ({ rulesetId: r.id, ...a })),
    ),
  };
}
