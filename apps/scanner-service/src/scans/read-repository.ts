import type { RepoPermission, RepoRecord } from '#libs/contracts/src/index.js';
import type { GithubReader, ListedRepo } from '../github/github-reader.js';
import { effectiveProtection } from '../protection/effective-protection.js';
import { rulesetTargetsDefaultBranch, type Ruleset } from '../protection/rulesets.js';
import type { OrgContext } from './org-context.js';

/** What one repository's own requests return; the organization's facts are combined later. */
export interface RepoReads {
  listed: ListedRepo;
  collaborators: Array<{ login: string; permission: RepoPermission }>;
  /** Details of the repository's own rulesets that bind the default branch. */
  detailed: Ruleset[];
}

/**
 * One repository, fully read: its collaborators, the details of its own rulesets that bind the
 * default branch (few repositories have any; each a conditional request), and its effective
 * protection with the organization's rulesets. Used by a webhook's rescan; a scan calls the two
 * halves apart, so that reading does not wait for the organization's facts.
 */
export async function readRepository(
  reader: GithubReader,
  listed: ListedRepo,
  context: OrgContext,
): Promise<RepoRecord> {
  return combineRepository(await fetchRepository(reader, listed), context);
}

/** The repository's own requests: collaborators and the rulesets that bind its default branch. */
export async function fetchRepository(
  reader: GithubReader,
  listed: ListedRepo,
): Promise<RepoReads> {
  const target = targetOf(listed);
  const ownRulesets = target
    ? (listed.listing?.rulesets ?? []).filter((r) => rulesetTargetsDefaultBranch(r, target))
    : [];
  const [collaborators, detailed] = await Promise.all([
    reader.collaborators(listed.fullName),
    Promise.all(ownRulesets.map((r) => reader.repositoryRuleset(listed.fullName, r.id))),
  ]);
  return { listed, collaborators, detailed };
}

function targetOf(listed: ListedRepo) {
  const name = listed.fullName.split('/')[1] ?? listed.fullName;
  return listed.defaultBranch === null
    ? null
    : { name, githubId: listed.githubId, defaultBranch: listed.defaultBranch };
}

/** The repository's record: its own reads with the organization's facts (no request). */
export function combineRepository(reads: RepoReads, context: OrgContext): RepoRecord {
  const { listed, collaborators, detailed } = reads;
  const listing = listed.listing;
  const target = targetOf(listed);
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
