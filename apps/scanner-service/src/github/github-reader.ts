import type {
  BranchProtectionSummary,
  RepoFacts,
  RepoPermission,
  TeamAccess,
} from '#libs/contracts/src/index.js';
import type { ScannerOctokit } from './github-app.js';
import type { ConditionalCache } from './conditional-cache.js';

/** One repository as the GraphQL listing gives it, default-branch protection included. */
export interface ListedRepo extends RepoFacts {
  /** undefined: the installation may not read branch protection. */
  protection: BranchProtectionSummary | null | undefined;
}

export interface RepositoryPage {
  totalCount: number;
  hasNextPage: boolean;
  endCursor: string | null;
  repos: ListedRepo[];
  cost: number;
}

const REPOSITORY_FIELDS = /* GraphQL */ `
  fragment ScannedRepository on Repository {
    databaseId
    nameWithOwner
    isPrivate
    visibility
    isArchived
    isFork
    defaultBranchRef {
      name
      branchProtectionRule {
        requiredApprovingReviewCount
        requiresApprovingReviews
        requiresStatusChecks
        isAdminEnforced
      }
    }
  }
`;

const REPOSITORY_QUERY = /* GraphQL */ `
  query ScanRepository($owner: String!, $name: String!) {
    repository(owner: $owner, name: $name) {
      ...ScannedRepository
    }
  }
  ${REPOSITORY_FIELDS}
`;

const REPOSITORIES_QUERY = /* GraphQL */ `
  query ScanRepositories($login: String!, $after: String) {
    rateLimit {
      cost
      remaining
      resetAt
    }
    organization(login: $login) {
      repositories(first: 100, after: $after) {
        totalCount
        pageInfo {
          hasNextPage
          endCursor
        }
        nodes {
          ...ScannedRepository
        }
      }
    }
  }
  ${REPOSITORY_FIELDS}
`;

interface RepositoryNode {
  databaseId: number;
  nameWithOwner: string;
  isPrivate: boolean;
  visibility: 'PUBLIC' | 'PRIVATE' | 'INTERNAL';
  isArchived: boolean;
  isFork: boolean;
  defaultBranchRef: {
    name: string;
    branchProtectionRule: {
      requiredApprovingReviewCount: number | null;
      requiresApprovingReviews: boolean;
      requiresStatusChecks: boolean;
      isAdminEnforced: boolean;
    } | null;
  } | null;
}

interface RepositoriesData {
  rateLimit: { cost: number; remaining: number; resetAt: string };
  organization: {
    repositories: {
      totalCount: number;
      pageInfo: { hasNextPage: boolean; endCursor: string | null };
      nodes: RepositoryNode[];
    };
  };
}

const PERMISSION_NAMES: Record<string, RepoPermission> = {
  admin: 'admin',
  maintain: 'maintain',
  push: 'write',
  write: 'write',
  triage: 'triage',
  pull: 'read',
  read: 'read',
};

export function normalizePermission(raw: string | undefined): RepoPermission {
  return PERMISSION_NAMES[raw ?? 'pull'] ?? 'read';
}

/**
 * Reads an organization through one installation client: GraphQL for the repository listing
 * with branch protection (100 per request), REST with `If-None-Match` for the rest.
 */
export class GithubReader {
  constructor(
    private readonly octokit: ScannerOctokit,
    private readonly cache: ConditionalCache,
  ) {}

  /** Stores the answers cached since the last flush (see ConditionalCache). */
  flushCache(db?: Parameters<ConditionalCache['flush']>[0]): Promise<() => void> {
    return this.cache.flush(db);
  }

  async repositoriesPage(login: string, after: string | null): Promise<RepositoryPage> {
    let data: RepositoriesData;
    let protectionReadable = true;
    try {
      data = await this.octokit.graphql<RepositoriesData>(REPOSITORIES_QUERY, { login, after });
    } catch (error) {
      // Without `administration`, GitHub answers the listing and refuses only the protection.
      if (
        isGraphqlResponseError(error) &&
        error.data?.organization &&
        error.errors?.every((e) => e.type === 'FORBIDDEN')
      ) {
        data = error.data;
        protectionReadable = false;
      } else {
        throw error;
      }
    }
    const connection = data.organization.repositories;
    return {
      totalCount: connection.totalCount,
      hasNextPage: connection.pageInfo.hasNextPage,
      endCursor: connection.pageInfo.endCursor,
      cost: data.rateLimit?.cost ?? 1,
      repos: connection.nodes.map((node) => toListedRepo(node, protectionReadable)),
    };
  }

  /** One repository by name (a webhook's rescan); undefined when GitHub no longer has it. */
  async repository(fullName: string): Promise<ListedRepo | undefined> {
    const [owner, name] = fullName.split('/') as [string, string];
    let data: { repository: RepositoryNode | null };
    let protectionReadable = true;
    try {
      data = await this.octokit.graphql<{ repository: RepositoryNode | null }>(REPOSITORY_QUERY, {
        owner,
        name,
      });
    } catch (error) {
      if (isGraphqlResponseError(error) && error.errors?.every((e) => e.type === 'NOT_FOUND')) {
        return undefined;
      }
      const partial = (error as { data?: { repository?: RepositoryNode | null } }).data;
      if (
        isGraphqlResponseError(error) &&
        partial?.repository &&
        error.errors?.every((e) => e.type === 'FORBIDDEN')
      ) {
        data = { repository: partial.repository };
        protectionReadable = false;
      } else {
        throw error;
      }
    }
    return data.repository ? toListedRepo(data.repository, protectionReadable) : undefined;
  }

  /** Teams with access to one repository (a webhook's rescan; a full scan reads per team). */
  async repositoryTeams(fullName: string): Promise<TeamAccess[]> {
    return this.cachedList(
      `/repos/${fullName}/teams`,
      (t: { slug: string; permission?: string }) => ({
        slug: t.slug,
        permission: normalizePermission(t.permission),
      }),
    );
  }

  /** Secret scanning of one repository, from its REST representation. */
  async repositorySecretScanning(fullName: string): Promise<'enabled' | 'disabled' | 'unknown'> {
    const cached = this.cache.get(`/repos/${fullName}`);
    try {
      const response = await this.octokit.request(`GET /repos/${fullName}`, {
        headers: cached ? { 'if-none-match': cached.etag } : {},
      });
      const data = response.data as {
        security_and_analysis?: { secret_scanning?: { status?: string } } | null;
      };
      const status = (data.security_and_analysis?.secret_scanning?.status ?? 'unknown') as
        'enabled' | 'disabled' | 'unknown';
      if (response.headers.etag) {
        this.cache.put(`/repos/${fullName}`, {
          etag: response.headers.etag,
          body: status,
          nextUrl: null,
        });
      }
      return status;
    } catch (error) {
      if ((error as { status?: number }).status === 304 && cached) {
        return cached.body as 'enabled' | 'disabled' | 'unknown';
      }
      throw error;
    }
  }

  /** Every item of a REST list, page by page, each page asked conditionally. */
  async cachedList<TItem, TKept>(path: string, keep: (item: TItem) => TKept): Promise<TKept[]> {
    const items: TKept[] = [];
    let url: string | null = `${path}${path.includes('?') ? '&' : '?'}per_page=100`;
    while (url) {
      const cached = this.cache.get(url);
      try {
        const response = await this.octokit.request(`GET ${url}`, {
          headers: cached ? { 'if-none-match': cached.etag } : {},
        });
        const kept = (response.data as TItem[]).map(keep);
        const nextUrl = nextLink(response.headers.link);
        if (response.headers.etag) {
          this.cache.put(url, { etag: response.headers.etag, body: kept, nextUrl });
        }
        items.push(...kept);
        url = nextUrl;
      } catch (error) {
        if ((error as { status?: number }).status === 304 && cached) {
          items.push(...(cached.body as TKept[]));
          url = cached.nextUrl;
        } else {
          throw error;
        }
      }
    }
    return items;
  }

  async outsideCollaborators(login: string): Promise<Set<string>> {
    const logins = await this.cachedList(
      `/orgs/${login}/outside_collaborators`,
      (u: { login: string }) => u.login,
    );
    return new Set(logins);
  }

  /** Repository full name -> the teams that have access and their permission. */
  async teamAccess(login: string): Promise<Map<string, TeamAccess[]>> {
    const teams = await this.cachedList(`/orgs/${login}/teams`, (t: { slug: string }) => t.slug);
    const access = new Map<string, TeamAccess[]>();
    const perTeam = await Promise.all(
      teams.map(async (slug) => ({
        slug,
        repos: await this.cachedList(
          `/orgs/${login}/teams/${slug}/repos`,
          (r: {
            full_name: string;
            role_name?: string;
            permissions?: Record<string, boolean>;
          }) => ({
            fullName: r.full_name,
            permission: normalizePermission(r.role_name ?? strongest(r.permissions)),
          }),
        ),
      })),
    );
    for (const { slug, repos } of perTeam) {
      for (const repo of repos) {
        const list = access.get(repo.fullName) ?? [];
        list.push({ slug, permission: repo.permission });
        access.set(repo.fullName, list);
      }
    }
    return access;
  }

  /** Repository full name -> secret scanning status (GitHub shows it to admins only). */
  async secretScanning(login: string): Promise<Map<string, 'enabled' | 'disabled' | 'unknown'>> {
    const repos = await this.cachedList(
      `/orgs/${login}/repos?type=all`,
      (r: {
        full_name: string;
        security_and_analysis?: { secret_scanning?: { status?: string } } | null;
      }) => ({
        fullName: r.full_name,
        status: r.security_and_analysis?.secret_scanning?.status ?? 'unknown',
      }),
    );
    return new Map(repos.map((r) => [r.fullName, r.status as 'enabled' | 'disabled' | 'unknown']));
  }

  /** Direct collaborators (members added by hand and outside collaborators) with permission. */
  async collaborators(
    fullName: string,
  ): Promise<Array<{ login: string; permission: RepoPermission }>> {
    return this.cachedList(
      `/repos/${fullName}/collaborators?affiliation=direct`,
      (c: { login: string; role_name?: string; permissions?: Record<string, boolean> }) => ({
        login: c.login,
        permission: normalizePermission(c.role_name ?? strongest(c.permissions)),
      }),
    );
  }
}

function strongest(permissions: Record<string, boolean> | undefined): string {
  for (const name of ['admin', 'maintain', 'push', 'triage', 'pull']) {
    if (permissions?.[name]) return name;
  }
  return 'pull';
}

function toListedRepo(node: RepositoryNode, protectionReadable: boolean): ListedRepo {
  const rule = node.defaultBranchRef?.branchProtectionRule ?? null;
  return {
    githubId: node.databaseId,
    fullName: node.nameWithOwner,
    private: node.isPrivate,
    visibility: node.visibility.toLowerCase() as ListedRepo['visibility'],
    archived: node.isArchived,
    fork: node.isFork,
    defaultBranch: node.defaultBranchRef?.name ?? null,
    protection: !protectionReadable
      ? undefined
      : rule
        ? {
            requiredReviews: rule.requiresApprovingReviews
              ? (rule.requiredApprovingReviewCount ?? 0)
              : 0,
            requiresStatusChecks: rule.requiresStatusChecks,
            enforceAdmins: rule.isAdminEnforced,
          }
        : null,
  };
}

/** The `rel="next"` URL of a `Link` header (absolute: Octokit requests it as it is). */
function nextLink(link: string | undefined): string | null {
  const match = /<([^>]+)>;\s*rel="next"/.exec(link ?? '');
  return match ? match[1]! : null;
}

/** `@octokit/graphql`'s error for an answer with `errors`, which may still carry partial data. */
function isGraphqlResponseError(error: unknown): error is {
  data?: RepositoriesData;
  errors?: Array<{ type?: string }>;
} {
  return error instanceof Error && error.name === 'GraphqlResponseError';
}
