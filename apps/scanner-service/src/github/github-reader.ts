import type { RepoFacts, RepoPermission, TeamAccess } from '#libs/contracts/src/index.js';
import type { ClassicProtection } from '../protection/effective-protection.js';
import { enforcementOf, rulesetFromRest, type Ruleset } from '../protection/rulesets.js';
import type { ScannerOctokit } from './github-app.js';
import type { ConditionalCache } from './conditional-cache.js';

/** What the GraphQL listing says of a repository beyond its facts (stored with it). */
export interface RepoListing {
  /** Classic protection of the default branch; undefined: the installation may not read it. */
  classic: ClassicProtection | null | undefined;
  /** The repository's own rulesets, summaries without rules; undefined: not readable. */
  rulesets: Ruleset[] | undefined;
  vulnerabilityAlerts: boolean | null;
  securityPolicy: boolean | null;
}

/** One repository as the GraphQL listing gives it; a webhook's payload gives the facts only. */
export interface ListedRepo extends RepoFacts {
  listing?: RepoListing;
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
    hasVulnerabilityAlertsEnabled
    isSecurityPolicyEnabled
    defaultBranchRef {
      name
      branchProtectionRule {
        requiredApprovingReviewCount
        requiresApprovingReviews
        requiresStatusChecks
        isAdminEnforced
        dismissesStaleReviews
        requiresCodeOwnerReviews
        allowsForcePushes
        allowsDeletions
        requiresCommitSignatures
      }
    }
    # The repository's own rulesets without their rules (a nested connection would multiply the
    # query's cost by 100): the few that bind the default branch are read by REST, conditionally.
    rulesets(first: 20, includeParents: false) {
      nodes {
        databaseId
        name
        enforcement
        target
        conditions {
          refName {
            include
            exclude
          }
        }
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
  hasVulnerabilityAlertsEnabled?: boolean | null;
  isSecurityPolicyEnabled?: boolean | null;
  defaultBranchRef: {
    name: string;
    branchProtectionRule: {
      requiredApprovingReviewCount: number | null;
      requiresApprovingReviews: boolean;
      requiresStatusChecks: boolean;
      isAdminEnforced: boolean;
      dismissesStaleReviews: boolean;
      requiresCodeOwnerReviews: boolean;
      allowsForcePushes: boolean;
      allowsDeletions: boolean;
      requiresCommitSignatures: boolean;
    } | null;
  } | null;
  rulesets?: {
    nodes: Array<{
      databaseId: number | null;
      name: string;
      enforcement: string;
      target: string | null;
      conditions: { refName: { include: string[]; exclude: string[] } | null };
    } | null> | null;
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

  /** Security settings of one repository, from its REST representation (a webhook's rescan). */
  async repositorySecurity(fullName: string): Promise<SecuritySettings> {
    return this.cachedGet(`/repos/${fullName}`, securitySettings);
  }

  /**
   * One REST object, asked with `If-None-Match`; a 304 stands for the kept part of the body.
   * `undefined` when GitHub answers 404 (and, with `optional`, 403: not readable).
   */
  async cachedGet<TBody, TKept>(path: string, keep: (body: TBody) => TKept): Promise<TKept> {
    const cached = this.cache.get(path);
    try {
      const response = await this.octokit.request(`GET ${path}`, {
        headers: cached ? { 'if-none-match': cached.etag } : {},
      });
      const kept = keep(response.data as TBody);
      // Wrapped, so that a kept `null` is stored as JSON, not as a missing body.
      if (response.headers.etag) {
        this.cache.put(path, { etag: response.headers.etag, body: { kept }, nextUrl: null });
      }
      return kept;
    } catch (error) {
      if ((error as { status?: number }).status === 304 && cached) {
        return (cached.body as { kept: TKept }).kept;
      }
      throw error;
    }
  }

  /** A repository ruleset with its rules and bypass actors. */
  async repositoryRuleset(fullName: string, id: number): Promise<Ruleset> {
    return this.cachedGet(`/repos/${fullName}/rulesets/${id}`, rulesetFromRest);
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

  /** Repository full name -> security settings (GitHub shows them to admins only). */
  async securitySettings(login: string): Promise<Map<string, SecuritySettings>> {
    const repos = await this.cachedList(
      `/orgs/${login}/repos?type=all`,
      (r: RestRepository & { full_name: string }) => ({
        fullName: r.full_name,
        ...securitySettings(r),
      }),
    );
    return new Map(repos.map(({ fullName, ...settings }) => [fullName, settings]));
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

export type SettingStatus = 'enabled' | 'disabled' | 'unknown';
export interface SecuritySettings {
  secretScanning: SettingStatus;
  pushProtection: SettingStatus;
}

interface RestRepository {
  security_and_analysis?: {
    secret_scanning?: { status?: string };
    secret_scanning_push_protection?: { status?: string };
  } | null;
}

function securitySettings(r: RestRepository): SecuritySettings {
  const status = (value: string | undefined): SettingStatus =>
    value === 'enabled' || value === 'disabled' ? value : 'unknown';
  return {
    secretScanning: status(r.security_and_analysis?.secret_scanning?.status),
    pushProtection: status(r.security_and_analysis?.secret_scanning_push_protection?.status),
  };
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
    listing: {
      classic: !protectionReadable
        ? undefined
        : rule
          ? {
              requiredReviews: rule.requiresApprovingReviews
                ? (rule.requiredApprovingReviewCount ?? 0)
                : 0,
              requiresStatusChecks: rule.requiresStatusChecks,
              enforceAdmins: rule.isAdminEnforced,
              dismissStaleReviews: rule.dismissesStaleReviews,
              requireCodeOwnerReviews: rule.requiresCodeOwnerReviews,
              allowsForcePushes: rule.allowsForcePushes,
              allowsDeletions: rule.allowsDeletions,
              requiresSignatures: rule.requiresCommitSignatures,
            }
          : null,
      rulesets:
        !protectionReadable || !node.rulesets
          ? undefined
          : (node.rulesets.nodes ?? []).flatMap((r) =>
              r && r.databaseId !== null
                ? [
                    {
                      id: r.databaseId,
                      name: r.name,
                      source: 'repository' as const,
                      target: (r.target ?? 'BRANCH').toLowerCase(),
                      enforcement: enforcementOf(r.enforcement),
                      refName: r.conditions.refName,
                    },
                  ]
                : [],
            ),
      vulnerabilityAlerts: node.hasVulnerabilityAlertsEnabled ?? null,
      securityPolicy: node.isSecurityPolicyEnabled ?? null,
    },
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
