import type { RepoRecord } from '#libs/contracts/src/index.js';
import type { GithubReader, ListedRepo } from '../github/github-reader.js';
import { effectiveProtection } from '../protection/effective-protection.js';
import { rulesetTargetsDefaultBranch } from '../protection/rulesets.js';
import type { OrgContext } from './org-context.js';

/**
 * One repository, fully read: its collaborators, the details of its own rulesets that bind the
 * default branch (few repositories have any; each a conditional request), and its effective
 * protection with the organization's rulesets. Used by a scan and by a webhook's rescan alike.
 */
export async function readRepository(
  reader: GithubReader,
  listed: ListedRepo,
  contextReady: OrgContext | Promise<OrgContext>,
): Promise<RepoRecord> {
  const listing = listed.listing;
  const name = listed.fullName.split('/')[1] ?? listed.fullName;
  const target =
    listed.defaultBranch === null
      ? null
      : { name, githubId: listed.githubId, defaultBranch: listed.defaultBranch };
  const ownRulesets = target
    ? (listing?.rulesets ?? []).filter((r) => rulesetTargetsDefaultBranch(r, target))
    : [];
  const [collaborators, detailed] = await Promise.all([
    reader.collaborators(listed.fullName),
    Promise.all(ownRulesets.map((r) => reader.repositoryRuleset(listed.fullName, r.id))),
  ]);
  const context = await contextReady;
  // Protection is known only when classic protection and both kinds of rulesets were readable.
  const readable =
    target !== null &&
    listing !== undefined &&
    listing.classic !== undefined &&
    listing.rulesets !== undefined &&
    context.rulesets !== null;
  const orgRulesets = target
    ? (context.rulesets ?? []).filter((r) => rulesetTargetsDefaultBranch(r, target))
    : [];
  const security = context.security.get(listed.fullName);
  return {
    githubId: listed.githubId,
    fullName: listed.fullName,
    private: listed.private,
    visibility: listed.visibility,
    archived: listed.archived,
    fork: listed.fork,
    defaultBranch: listed.defaultBranch,
    ...(readable
      ? {
          protection: effectiveProtection(listing!.classic ?? null, [
            ...detailed.filter((r) => rulesetTargetsDefaultBranch(r, target!)),
            ...orgRulesets,
          ]),
        }
      : {}),
    secretScanning: security?.secretScanning ?? 'unknown',
    security: {
      pushProtection: security?.pushProtection ?? 'unknown',
      vulnerabilityAlerts: listing?.vulnerabilityAlerts ?? null,
      securityPolicy: listing?.securityPolicy ?? null,
    },
    collaborators: collaborators.map((c) => ({
      ...c,
      outside: context.outside?.has(c.login) ?? false,
    })),
    teams: context.teams.get(listed.fullName) ?? [],
    scanState: 'scanned',
  };
}
