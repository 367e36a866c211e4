import type { BypassActor } from '#libs/contracts/src/index.js';

/**
 * A ruleset as the scanner keeps it: the parts of GitHub's `repository-ruleset` (REST) or
 * `RepositoryRuleset` (GraphQL) that decide whether it applies to a branch and what it enforces.
 */
export interface Ruleset {
  id: number;
  name: string;
  source: 'repository' | 'organization';
  /** `branch`, `tag`, `push` or `repository`; only branch rulesets protect a branch. */
  target: string;
  enforcement: 'active' | 'evaluate' | 'disabled';
  refName: { include: string[]; exclude: string[] } | null;
  /** Organization rulesets: which repositories they target. */
  repositoryName?: { include: string[]; exclude: string[] } | null;
  repositoryIds?: number[] | null;
  /** A repository-property condition, which the scanner cannot evaluate: the ruleset is not counted. */
  repositoryProperty?: boolean;
  /** Absent on a summary (a listing); present once the ruleset's details were read. */
  rules?: Array<{ type: string; parameters?: Record<string, unknown> }>;
  bypassActors?: Array<Omit<BypassActor, 'rulesetId'>>;
}

/** A REST `repository-ruleset` body -> Ruleset. */
export function rulesetFromRest(body: {
  id: number;
  name: string;
  target?: string;
  source_type?: string;
  enforcement: string;
  conditions?: Record<string, unknown> | null;
  rules?: Array<{ type: string; parameters?: Record<string, unknown> }>;
  bypass_actors?: Array<{ actor_id?: number | null; actor_type: string; bypass_mode?: string }>;
}): Ruleset {
  const conditions = (body.conditions ?? {}) as {
    ref_name?: { include?: string[]; exclude?: string[] };
    repository_name?: { include?: string[]; exclude?: string[] };
    repository_id?: { repository_ids?: number[] };
    repository_property?: unknown;
  };
  return {
    id: body.id,
    name: body.name,
    source: body.source_type === 'Organization' ? 'organization' : 'repository',
    target: body.target ?? 'branch',
    enforcement: enforcementOf(body.enforcement),
    refName: conditions.ref_name
      ? { include: conditions.ref_name.include ?? [], exclude: conditions.ref_name.exclude ?? [] }
      : null,
    repositoryName: conditions.repository_name
      ? {
          include: conditions.repository_name.include ?? [],
          exclude: conditions.repository_name.exclude ?? [],
        }
      : null,
    repositoryIds: conditions.repository_id?.repository_ids ?? null,
    repositoryProperty: conditions.repository_property !== undefined,
    ...(body.rules ? { rules: body.rules } : {}),
    ...(body.bypass_actors
      ? {
          bypassActors: body.bypass_actors.map((a) => ({
            actorType: a.actor_type,
            actorId: a.actor_id ?? null,
            bypassMode: a.bypass_mode ?? 'always',
          })),
        }
      : {}),
  };
}

export function enforcementOf(raw: string): Ruleset['enforcement'] {
  const value = raw.toLowerCase();
  return value === 'active' || value === 'evaluate' ? value : 'disabled';
}

/**
 * GitHub's ref and repository name patterns are fnmatch patterns: `*` stays within one path
 * segment, `**` crosses them, `?` is one character.
 */
export function fnmatch(pattern: string, text: string): boolean {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*' && pattern[i + 1] === '*') {
      source += '.*';
      i++;
    } else if (c === '*') source += '[^/]*';
    else if (c === '?') source += '[^/]';
    else source += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`).test(text);
}

function refMatches(pattern: string, branch: string): boolean {
  if (pattern === '~ALL' || pattern === '~DEFAULT_BRANCH') return true;
  const ref = `refs/heads/${branch}`;
  return fnmatch(pattern, ref) || fnmatch(pattern, branch);
}

function nameMatches(pattern: string, name: string): boolean {
  return pattern === '~ALL' || fnmatch(pattern, name);
}

/**
 * Whether a ruleset binds a repository's default branch: active (evaluate and disabled enforce
 * nothing), a branch ruleset, its ref condition includes the branch and excludes it not, and, for
 * an organization ruleset, its repository condition takes the repository.
 */
export function rulesetTargetsDefaultBranch(
  ruleset: Ruleset,
  repo: { name: string; githubId: number; defaultBranch: string },
): boolean {
  if (ruleset.enforcement !== 'active' || ruleset.target !== 'branch') return false;
  const ref = ruleset.refName;
  if (!ref || !ref.include.some((p) => refMatches(p, repo.defaultBranch))) return false;
  if (ref.exclude.some((p) => refMatches(p, repo.defaultBranch))) return false;
  if (ruleset.source === 'repository') return true;
  if (ruleset.repositoryProperty) return false;
  if (ruleset.repositoryIds) return ruleset.repositoryIds.includes(repo.githubId);
  const names = ruleset.repositoryName;
  if (!names) return false;
  return (
    names.include.some((p) => nameMatches(p, repo.name)) &&
    !names.exclude.some((p) => nameMatches(p, repo.name))
  );
}
