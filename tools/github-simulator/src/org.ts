/**
 * The simulated organization: plain data, generated deterministically from a seed so that a test
 * or a benchmark that names a seed and a size always meets the same org. Tests may also pass their
 * own repositories to state exactly what they expect a scan to find.
 */
export type RepoPermission = 'admin' | 'maintain' | 'push' | 'triage' | 'pull';

export interface SimProtection {
  requiredReviews: number;
  requiresStatusChecks: boolean;
  statusChecks: string[];
  enforceAdmins: boolean;
  dismissStaleReviews?: boolean;
  requireCodeOwnerReviews?: boolean;
  allowsForcePushes?: boolean;
  allowsDeletions?: boolean;
  requiresSignatures?: boolean;
}

/** A ruleset rule as GitHub's REST API names it (`pull_request`, `non_fast_forward`, ...). */
export interface SimRule {
  type: string;
  parameters?: Record<string, unknown>;
}

export interface SimRuleset {
  id: number;
  name: string;
  enforcement: 'active' | 'evaluate' | 'disabled';
  target: 'branch' | 'tag';
  /** Ref patterns: `~DEFAULT_BRANCH`, `~ALL`, `refs/heads/release/*`. */
  include: string[];
  exclude?: string[];
  /** Organization rulesets: repository name patterns (`~ALL`, `payments-*`). */
  repositoryInclude?: string[];
  repositoryExclude?: string[];
  rules: SimRule[];
  bypassActors?: Array<{
    actorId: number | null;
    actorType: 'Integration' | 'OrganizationAdmin' | 'RepositoryRole' | 'Team' | 'DeployKey';
    bypassMode: 'always' | 'pull_request';
  }>;
}

export interface SimHook {
  id: number;
  url: string;
  /** Shown by GitHub as "********" when set, absent otherwise. */
  secret: boolean;
  insecureSsl: boolean;
}

/** Organization settings the checks read (GitHub's `organization-full` and Actions settings). */
export interface SimOrgSettings {
  twoFactorRequired: boolean;
  defaultRepositoryPermission: 'read' | 'write' | 'admin' | 'none';
  membersCanCreatePublicRepositories: boolean;
  /** Logins of the organization's owners (members with role admin). */
  owners: string[];
  actionsEnabledRepositories: 'all' | 'none' | 'selected';
  allowedActions: 'all' | 'local_only' | 'selected';
  defaultWorkflowPermissions: 'read' | 'write';
  canApprovePullRequestReviews: boolean;
  hooks: SimHook[];
  rulesets: SimRuleset[];
}

export interface SimCollaborator {
  login: string;
  permission: RepoPermission;
}

export interface SimRepo {
  id: number;
  name: string;
  private: boolean;
  archived: boolean;
  fork: boolean;
  defaultBranch: string;
  protection: SimProtection | null;
  secretScanning: boolean;
  pushProtection?: boolean;
  vulnerabilityAlerts?: boolean;
  securityPolicy?: boolean;
  license?: { key: string; name: string; spdxId: string } | null;
  /** The repository's own rulesets. */
  rulesets?: SimRuleset[];
  /** Direct collaborators: org members added by hand and outside collaborators. */
  collaborators: SimCollaborator[];
  description: string | null;
  createdAt: string;
  pushedAt: string;
}

export interface SimTeam {
  id: number;
  slug: string;
  name: string;
  /** Repository name -> the team's permission on it. */
  repos: Map<string, RepoPermission>;
}

export interface SimUser {
  id: number;
  login: string;
}

export interface SimOrg {
  id: number;
  login: string;
  members: SimUser[];
  outsideCollaborators: SimUser[];
  repos: SimRepo[];
  teams: SimTeam[];
  settings: SimOrgSettings;
}

/** Settings of a well-kept organization; tests override what they want to see reported. */
export function defaultOrgSettings(owners: string[]): SimOrgSettings {
  return {
    twoFactorRequired: true,
    defaultRepositoryPermission: 'read',
    membersCanCreatePublicRepositories: false,
    owners,
    actionsEnabledRepositories: 'all',
    allowedActions: 'selected',
    defaultWorkflowPermissions: 'read',
    canApprovePullRequestReviews: false,
    hooks: [],
    rulesets: [],
  };
}

/** mulberry32: tiny, fast, and the same numbers for the same seed everywhere. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const AREAS = ['payments', 'billing', 'auth', 'search', 'catalog', 'orders', 'infra', 'docs'];
const KINDS = ['api', 'web', 'worker', 'sdk', 'cli', 'config', 'service', 'lib'];
const TEAMS = ['platform', 'security', 'frontend', 'backend', 'data', 'ops'];
const PERMISSIONS: RepoPermission[] = ['pull', 'triage', 'push', 'maintain', 'admin'];
const EPOCH = Date.UTC(2024, 0, 1);

export interface GenerateOrgOptions {
  login?: string;
  repos: number;
  seed?: number;
}

export function generateOrg({ login = 'acme', repos, seed = 1 }: GenerateOrgOptions): SimOrg {
  const random = seededRandom(seed);
  const chance = (p: number) => random() < p;
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const members = Array.from({ length: 40 }, (_, i) => ({
    id: 1_000 + i,
    login: `dev-${String(i + 1).padStart(3, '0')}`,
  }));
  const outsideCollaborators = Array.from({ length: 8 }, (_, i) => ({
    id: 5_000 + i,
    login: `contractor-${String(i + 1).padStart(2, '0')}`,
  }));
  const teams: SimTeam[] = TEAMS.map((slug, i) => ({
    id: 300 + i,
    slug,
    name: slug[0]!.toUpperCase() + slug.slice(1),
    repos: new Map(),
  }));

  // Everything added after the first version draws from its own sequence, so the repositories
  // earlier seeds produced keep their names, privacy, protection and collaborators.
  const more = seededRandom(seed * 104_729 + 17);
  const also = (p: number) => more() < p;
  const list: SimRepo[] = [];
  for (let i = 1; i <= repos; i++) {
    const isPrivate = chance(0.6);
    const protectedBranch = chance(0.65);
    const collaborators: SimCollaborator[] = [];
    const direct = Math.floor(random() * 3);
    for (let c = 0; c < direct; c++) {
      const login = pick(members).login;
      if (!collaborators.some((x) => x.login === login)) {
        collaborators.push({ login, permission: pick(PERMISSIONS) });
      }
    }
    if (chance(0.15)) {
      collaborators.push({
        login: pick(outsideCollaborators).login,
        permission: chance(0.35) ? 'admin' : pick(['pull', 'push'] as const),
      });
    }
    const name = `${AREAS[i % AREAS.length]}-${pick(KINDS)}-${String(i).padStart(5, '0')}`;
    list.push({
      id: 100_000 + i,
      name,
      private: isPrivate,
      archived: chance(0.08),
      fork: chance(0.1),
      defaultBranch: chance(0.85) ? 'main' : pick(['master', 'develop']),
      protection: protectedBranch
        ? {
            requiredReviews: Math.floor(random() * 3),
            requiresStatusChecks: chance(0.5),
            statusChecks: [],
            enforceAdmins: chance(0.4),
          }
        : null,
      secretScanning: chance(isPrivate ? 0.5 : 0.8),
      collaborators,
      description: chance(0.7) ? `The ${name} repository` : null,
      createdAt: new Date(EPOCH + i * 3_600_000).toISOString(),
      pushedAt: new Date(EPOCH + i * 3_600_000 + 86_400_000).toISOString(),
    });
    const repo = list.at(-1)!;
    if (repo.protection?.requiresStatusChecks) repo.protection.statusChecks = ['ci/build'];
    if (repo.protection) {
      repo.protection.dismissStaleReviews = also(0.5);
      repo.protection.requireCodeOwnerReviews = also(0.3);
      repo.protection.allowsForcePushes = also(0.1);
      repo.protection.allowsDeletions = also(0.1);
      repo.protection.requiresSignatures = also(0.2);
    }
    repo.pushProtection = repo.secretScanning && also(0.7);
    repo.vulnerabilityAlerts = also(0.7);
    repo.securityPolicy = also(0.4);
    repo.license = also(0.6) ? { key: 'mit', name: 'MIT License', spdxId: 'MIT' } : null;
    repo.rulesets = repoRulesets(repo, i, also);
    const teamCount = Math.floor(random() * 3);
    for (let t = 0; t < teamCount; t++) {
      const team = pick(teams);
      team.repos.set(name, team.slug === 'platform' ? 'admin' : pick(PERMISSIONS));
    }
  }
  const settings: SimOrgSettings = {
    ...defaultOrgSettings([members[0]!.login]),
    // A single owner, a permissive base permission, and Actions left at GitHub's defaults.
    twoFactorRequired: false,
    defaultRepositoryPermission: 'write',
    membersCanCreatePublicRepositories: true,
    allowedActions: 'all',
    defaultWorkflowPermissions: 'write',
    hooks: [
      { id: 7_001, url: 'https://ci.example.com/hooks/github', secret: true, insecureSsl: false },
      { id: 7_002, url: 'https://chat.example.com/github', secret: false, insecureSsl: false },
      { id: 7_003, url: 'https://legacy.example.com/github', secret: true, insecureSsl: true },
    ],
    rulesets: [
      {
        id: 900,
        name: 'payments default branch',
        enforcement: 'active',
        target: 'branch',
        include: ['~DEFAULT_BRANCH'],
        repositoryInclude: ['payments-*'],
        repositoryExclude: ['payments-sdk-*'],
        rules: [
          { type: 'deletion' },
          { type: 'non_fast_forward' },
          {
            type: 'pull_request',
            parameters: pullRequest(2, { dismiss_stale_reviews_on_push: true }),
          },
        ],
        bypassActors: [{ actorId: null, actorType: 'OrganizationAdmin', bypassMode: 'always' }],
      },
      {
        id: 901,
        name: 'everything, evaluate only',
        enforcement: 'evaluate',
        target: 'branch',
        include: ['~ALL'],
        repositoryInclude: ['~ALL'],
        rules: [{ type: 'pull_request', parameters: pullRequest(3) }],
      },
      {
        id: 902,
        name: 'switched off',
        enforcement: 'disabled',
        target: 'branch',
        include: ['~DEFAULT_BRANCH'],
        repositoryInclude: ['~ALL'],
        rules: [{ type: 'deletion' }],
      },
      {
        id: 903,
        name: 'release branches',
        enforcement: 'active',
        target: 'branch',
        include: ['refs/heads/release/*'],
        repositoryInclude: ['~ALL'],
        rules: [{ type: 'non_fast_forward' }],
      },
    ],
  };
  return {
    id: 9_000 + (seed % 1_000),
    login,
    members,
    outsideCollaborators,
    repos: list,
    teams,
    settings,
  };
}

/** GitHub's `pull_request` rule parameters, all of which its API returns. */
export function pullRequest(
  reviews: number,
  overrides: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    required_approving_review_count: reviews,
    dismiss_stale_reviews_on_push: false,
    require_code_owner_review: false,
    require_last_push_approval: false,
    required_review_thread_resolution: false,
    ...overrides,
  };
}

/**
 * A few repositories have their own rulesets: some unprotected ones are protected by a ruleset
 * alone, some have rulesets that enforce nothing (evaluate, disabled) or target other branches.
 */
function repoRulesets(repo: SimRepo, i: number, chance: (p: number) => boolean): SimRuleset[] {
  if (repo.protection === null && chance(0.05)) {
    return [
      {
        id: 10_000 + i,
        name: 'protect default branch',
        enforcement: 'active',
        target: 'branch',
        include: ['~DEFAULT_BRANCH'],
        rules: [
          { type: 'deletion' },
          { type: 'non_fast_forward' },
          { type: 'pull_request', parameters: pullRequest(1) },
        ],
        bypassActors: [{ actorId: 5, actorType: 'RepositoryRole', bypassMode: 'always' }],
      },
    ];
  }
  if (chance(0.04)) {
    return [
      {
        id: 20_000 + i,
        name: 'trial',
        enforcement: chance(0.5) ? 'evaluate' : 'disabled',
        target: 'branch',
        include: ['~DEFAULT_BRANCH'],
        rules: [{ type: 'pull_request', parameters: pullRequest(2) }],
      },
    ];
  }
  return [];
}

/**
 * An org made of repositories a test spells out, for exact expectations. Its settings are those
 * of a well-kept organization (two owners, no findings) unless `settings` says otherwise.
 */
export function orgFromRepos(
  login: string,
  repos: Array<Partial<SimRepo> & { name: string }>,
  teams: Array<{ slug: string; repos: Record<string, RepoPermission> }> = [],
  outsideCollaborators: string[] = [],
  settings: Partial<SimOrgSettings> = {},
): SimOrg {
  return {
    id: 9_999,
    login,
    members: [
      { id: 6_001, login: 'owner-1' },
      { id: 6_002, login: 'owner-2' },
    ],
    settings: { ...defaultOrgSettings(['owner-1', 'owner-2']), ...settings },
    outsideCollaborators: outsideCollaborators.map((l, i) => ({ id: 7_000 + i, login: l })),
    teams: teams.map((t, i) => ({
      id: 400 + i,
      slug: t.slug,
      name: t.slug,
      repos: new Map(Object.entries(t.repos)),
    })),
    repos: repos.map((r, i) => ({
      id: 200_000 + i,
      private: false,
      archived: false,
      fork: false,
      defaultBranch: 'main',
      protection: null,
      secretScanning: false,
      pushProtection: true,
      vulnerabilityAlerts: true,
      securityPolicy: true,
      license: null,
      rulesets: [],
      collaborators: [],
      description: null,
      createdAt: new Date(EPOCH).toISOString(),
      pushedAt: new Date(EPOCH).toISOString(),
      ...r,
    })),
  };
}
