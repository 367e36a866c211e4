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
    const teamCount = Math.floor(random() * 3);
    for (let t = 0; t < teamCount; t++) {
      const team = pick(teams);
      team.repos.set(name, team.slug === 'platform' ? 'admin' : pick(PERMISSIONS));
    }
  }
  return { id: 9_000 + (seed % 1_000), login, members, outsideCollaborators, repos: list, teams };
}

/** An org made of repositories a test spells out, for exact expectations. */
export function orgFromRepos(
  login: string,
  repos: Array<Partial<SimRepo> & { name: string }>,
  teams: Array<{ slug: string; repos: Record<string, RepoPermission> }> = [],
  outsideCollaborators: string[] = [],
): SimOrg {
  return {
    id: 9_999,
    login,
    members: [],
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
      collaborators: [],
      description: null,
      createdAt: new Date(EPOCH).toISOString(),
      pushedAt: new Date(EPOCH).toISOString(),
      ...r,
    })),
  };
}
