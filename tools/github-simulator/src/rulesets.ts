import type { SimOrg, SimRepo, SimRuleset } from './org.js';

/**
 * Which rulesets bind which branches, as GitHub decides: fnmatch ref patterns (`~DEFAULT_BRANCH`,
 * `~ALL`), and for organization rulesets repository name patterns.
 */
function fnmatch(pattern: string, text: string): boolean {
  const source = pattern
    .split('**')
    .map((part) =>
      part
        .split('*')
        .map((piece) => piece.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
        .join('[^/]*'),
    )
    .join('.*');
  return new RegExp(`^${source}$`).test(text);
}

function refMatches(pattern: string, repo: SimRepo, branch: string): boolean {
  if (pattern === '~ALL') return true;
  if (pattern === '~DEFAULT_BRANCH') return branch === repo.defaultBranch;
  return fnmatch(pattern, `refs/heads/${branch}`);
}

export function rulesetTargetsRepo(ruleset: SimRuleset, repo: SimRepo): boolean {
  const include = ruleset.repositoryInclude ?? [];
  const exclude = ruleset.repositoryExclude ?? [];
  const matches = (p: string) => p === '~ALL' || fnmatch(p, repo.name);
  return include.some(matches) && !exclude.some(matches);
}

export function rulesetTargetsBranch(ruleset: SimRuleset, repo: SimRepo, branch: string): boolean {
  return (
    ruleset.target === 'branch' &&
    ruleset.include.some((p) => refMatches(p, repo, branch)) &&
    !(ruleset.exclude ?? []).some((p) => refMatches(p, repo, branch))
  );
}

/** A repository's rulesets, and with `includeParents` the organization's that target it. */
export function rulesetsOf(
  org: SimOrg,
  repo: SimRepo,
  includeParents: boolean,
): Array<{ ruleset: SimRuleset; source: 'Repository' | 'Organization' }> {
  return [
    ...(repo.rulesets ?? []).map((ruleset) => ({ ruleset, source: 'Repository' as const })),
    ...(includeParents
      ? org.settings.rulesets
          .filter((r) => rulesetTargetsRepo(r, repo))
          .map((ruleset) => ({ ruleset, source: 'Organization' as const }))
      : []),
  ];
}
