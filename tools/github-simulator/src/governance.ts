import type { components } from '@octokit/openapi-types';
import type { SimOrg, SimRepo, SimRuleset } from './org.js';
import {
  licenseOf,
  minimalRepository,
  simpleUser,
  type AppPermissions,
  type MinimalRepository,
} from './representations.js';
import { rulesetsOf, rulesetTargetsBranch } from './rulesets.js';
import type { Answer } from './route.js';

/**
 * The REST routes of an organization's governance: classic branch protection, branch rules,
 * repository and organization rulesets, organization settings, owners, Actions permissions and
 * organization webhooks, plus the full repository. Bodies are typed with GitHub's published
 * OpenAPI schemas (`@octokit/openapi-types`); the simulator's conformance test validates them
 * against the schemas themselves.
 */
type Schemas = components['schemas'];
type FullRepository = Schemas['full-repository'];
type BranchProtection = Schemas['branch-protection'];
type RepositoryRuleset = Schemas['repository-ruleset'];
type OrganizationFull = Schemas['organization-full'];
type OrgHook = Schemas['org-hook'];

export interface GovernanceContext {
  org: SimOrg;
  base(): string;
  permissions(): AppPermissions;
  repoByName(owner: string, name: string): SimRepo | undefined;
  /** Throws GitHub's 403 unless the installation has the permission. */
  needs(permission: keyof AppPermissions): void;
  /** Throws an error answer with GitHub's body. */
  fail(status: number, message: string): never;
}

type Route = [RegExp, (m: RegExpExecArray, url: URL) => Answer];

const TIME = '2024-01-01T00:00:00Z';

export function governanceRoutes(ctx: GovernanceContext): Route[] {
  const { org } = ctx;
  const ownOrg = (login: string) => {
    if (login.toLowerCase() !== org.login.toLowerCase()) ctx.fail(404, 'Not Found');
  };
  const repoOf = (m: RegExpExecArray) => {
    const repo = ctx.repoByName(decodeURIComponent(m[1]!), decodeURIComponent(m[2]!));
    if (!repo) ctx.fail(404, 'Not Found');
    return repo;
  };
  const branchOf = (repo: SimRepo, raw: string) => {
    const branch = decodeURIComponent(raw);
    // The simulated repositories have one branch: their default branch.
    if (branch !== repo.defaultBranch) ctx.fail(404, 'Branch not found');
    return branch;
  };
  const orgRuleset = (id: number) => org.settings.rulesets.find((r) => r.id === id);
  const showBypass = () => Boolean(ctx.permissions().administration);

  return [
    [
      /^\/orgs\/([^/]+)$/,
      (m) => {
        ownOrg(m[1]!);
        return { body: organizationFull(ctx) };
      },
    ],
    [
      /^\/orgs\/([^/]+)\/members$/,
      (m, url) => {
        ownOrg(m[1]!);
        ctx.needs('members');
        const role = url.searchParams.get('role') ?? 'all';
        if (!['all', 'admin', 'member'].includes(role)) {
          ctx.fail(422, 'Invalid value for role');
        }
        const owners = new Set(org.settings.owners);
        const members = org.members.filter(
          (u) => role === 'all' || (role === 'admin') === owners.has(u.login),
        );
        return { body: members.map((u) => simpleUser(ctx.base(), u)), paginate: true };
      },
    ],
    [
      /^\/orgs\/([^/]+)\/actions\/permissions$/,
      (m) => {
        ownOrg(m[1]!);
        ctx.needs('organization_administration');
        const s = org.settings;
        const body: Schemas['actions-organization-permissions'] = {
          enabled_repositories: s.actionsEnabledRepositories,
          ...(s.actionsEnabledRepositories === 'selected'
            ? {
                selected_repositories_url: `${ctx.base()}/orgs/${org.login}/actions/permissions/repositories`,
              }
            : {}),
          ...(s.actionsEnabledRepositories === 'none' ? {} : { allowed_actions: s.allowedActions }),
          ...(s.allowedActions === 'selected'
            ? {
                selected_actions_url: `${ctx.base()}/orgs/${org.login}/actions/permissions/selected-actions`,
              }
            : {}),
        };
        return { body };
      },
    ],
    [
      /^\/orgs\/([^/]+)\/actions\/permissions\/workflow$/,
      (m) => {
        ownOrg(m[1]!);
        ctx.needs('organization_administration');
        const body: Schemas['actions-get-default-workflow-permissions'] = {
          default_workflow_permissions: org.settings.defaultWorkflowPermissions,
          can_approve_pull_request_reviews: org.settings.canApprovePullRequestReviews,
        };
        return { body };
      },
    ],
    [
      /^\/orgs\/([^/]+)\/hooks$/,
      (m) => {
        ownOrg(m[1]!);
        ctx.needs('organization_hooks');
        return { body: org.settings.hooks.map((h) => orgHook(ctx, h)), paginate: true };
      },
    ],
    [
      /^\/orgs\/([^/]+)\/rulesets$/,
      (m) => {
        ownOrg(m[1]!);
        ctx.needs('organization_administration');
        return {
          body: org.settings.rulesets.map((r) => rulesetBody(ctx, r, 'Organization', false)),
          paginate: true,
        };
      },
    ],
    [
      /^\/orgs\/([^/]+)\/rulesets\/(\d+)$/,
      (m) => {
        ownOrg(m[1]!);
        ctx.needs('organization_administration');
        const ruleset = orgRuleset(Number(m[2]));
        if (!ruleset) ctx.fail(404, 'Not Found');
        return { body: rulesetBody(ctx, ruleset, 'Organization', true, showBypass()) };
      },
    ],
    [
      /^\/repos\/([^/]+)\/([^/]+)$/,
      (m) => {
        const repo = repoOf(m);
        ctx.needs('metadata');
        return { body: fullRepository(ctx, repo) };
      },
    ],
    [
      /^\/repos\/([^/]+)\/([^/]+)\/branches\/([^/]+)\/protection$/,
      (m) => {
        const repo = repoOf(m);
        ctx.needs('administration');
        const branch = branchOf(repo, m[3]!);
        if (!repo.protection) ctx.fail(404, 'Branch not protected');
        return { body: branchProtection(ctx, repo, branch) };
      },
    ],
    [
      /^\/repos\/([^/]+)\/([^/]+)\/rules\/branches\/([^/]+)$/,
      (m) => {
        const repo = repoOf(m);
        ctx.needs('metadata');
        const branch = decodeURIComponent(m[3]!);
        // Every active rule that applies to the branch, from every ruleset that targets it.
        const body = rulesetsOf(org, repo, true)
          .filter(
            ({ ruleset }) =>
              ruleset.enforcement === 'active' && rulesetTargetsBranch(ruleset, repo, branch),
          )
          .flatMap(({ ruleset, source }) =>
            ruleset.rules.map((rule) => ({
              ...rule,
              ruleset_source_type: source,
              ruleset_source: source === 'Repository' ? `${org.login}/${repo.name}` : org.login,
              ruleset_id: ruleset.id,
            })),
          );
        return { body, paginate: true };
      },
    ],
    [
      /^\/repos\/([^/]+)\/([^/]+)\/rulesets$/,
      (m, url) => {
        const repo = repoOf(m);
        ctx.needs('metadata');
        const includeParents = url.searchParams.get('includes_parents') !== 'false';
        return {
          body: rulesetsOf(org, repo, includeParents).map(({ ruleset, source }) =>
            rulesetBody(ctx, ruleset, source, false, false, repo),
          ),
          paginate: true,
        };
      },
    ],
    [
      /^\/repos\/([^/]+)\/([^/]+)\/rulesets\/(\d+)$/,
      (m) => {
        const repo = repoOf(m);
        ctx.needs('metadata');
        const found = rulesetsOf(org, repo, true).find((r) => r.ruleset.id === Number(m[3]));
        if (!found) ctx.fail(404, 'Not Found');
        return {
          body: rulesetBody(ctx, found.ruleset, found.source, true, showBypass(), repo),
        };
      },
    ],
  ];
}

function organizationFull(ctx: GovernanceContext): OrganizationFull {
  const { org } = ctx;
  const url = `${ctx.base()}/orgs/${org.login}`;
  const s = org.settings;
  const body: OrganizationFull = {
    login: org.login,
    id: org.id,
    node_id: `O_kgDO${Buffer.from(String(org.id)).toString('base64url')}`,
    url,
    repos_url: `${url}/repos`,
    events_url: `${url}/events`,
    hooks_url: `${url}/hooks`,
    issues_url: `${url}/issues`,
    members_url: `${url}/members{/member}`,
    public_members_url: `${url}/public_members{/member}`,
    avatar_url: `https://avatars.example.invalid/o/${org.id}`,
    description: null,
    html_url: `https://github.com/${org.login}`,
    has_organization_projects: true,
    has_repository_projects: true,
    public_repos: org.repos.filter((r) => !r.private).length,
    public_gists: 0,
    followers: 0,
    following: 0,
    type: 'Organization',
    created_at: TIME,
    updated_at: TIME,
    archived_at: null,
  };
  // GitHub shows the organization's policies to its owners only: for an app, with the
  // organization administration permission.
  if (!ctx.permissions().organization_administration) return body;
  return {
    ...body,
    total_private_repos: org.repos.filter((r) => r.private).length,
    owned_private_repos: org.repos.filter((r) => r.private).length,
    default_repository_permission: s.defaultRepositoryPermission,
    two_factor_requirement_enabled: s.twoFactorRequired,
    members_can_create_repositories: true,
    members_can_create_public_repositories: s.membersCanCreatePublicRepositories,
    members_can_create_private_repositories: true,
    members_can_create_internal_repositories: false,
  };
}

function orgHook(ctx: GovernanceContext, hook: SimOrg['settings']['hooks'][number]): OrgHook {
  const url = `${ctx.base()}/orgs/${ctx.org.login}/hooks/${hook.id}`;
  return {
    id: hook.id,
    url,
    ping_url: `${url}/pings`,
    deliveries_url: `${url}/deliveries`,
    name: 'web',
    events: ['push', 'pull_request'],
    active: true,
    config: {
      url: hook.url,
      content_type: 'json',
      insecure_ssl: hook.insecureSsl ? '1' : '0',
      // GitHub never shows a secret, only that there is one.
      ...(hook.secret ? { secret: '********' } : {}),
    },
    updated_at: TIME,
    created_at: TIME,
    type: 'Organization',
  };
}

function rulesetBody(
  ctx: GovernanceContext,
  ruleset: SimRuleset,
  source: 'Repository' | 'Organization',
  detailed: boolean,
  showBypass = false,
  repo?: SimRepo,
): RepositoryRuleset {
  const { org } = ctx;
  const self =
    source === 'Organization'
      ? `${ctx.base()}/orgs/${org.login}/rulesets/${ruleset.id}`
      : `${ctx.base()}/repos/${org.login}/${repo!.name}/rulesets/${ruleset.id}`;
  const summary: RepositoryRuleset = {
    id: ruleset.id,
    name: ruleset.name,
    target: ruleset.target,
    source_type: source,
    source: source === 'Organization' ? org.login : `${org.login}/${repo!.name}`,
    enforcement: ruleset.enforcement,
    node_id: `RRS_kwDO${Buffer.from(String(ruleset.id)).toString('base64url')}`,
    _links: {
      self: { href: self },
      html: {
        href:
          source === 'Organization'
            ? `https://github.com/organizations/${org.login}/settings/rules/${ruleset.id}`
            : `https://github.com/${org.login}/${repo!.name}/rules/${ruleset.id}`,
      },
    },
    created_at: TIME,
    updated_at: TIME,
  };
  if (!detailed) return summary;
  const refName = { include: ruleset.include, exclude: ruleset.exclude ?? [] };
  return {
    ...summary,
    conditions:
      source === 'Organization'
        ? {
            ref_name: refName,
            repository_name: {
              include: ruleset.repositoryInclude ?? [],
              exclude: ruleset.repositoryExclude ?? [],
              protected: false,
            },
          }
        : { ref_name: refName },
    rules: ruleset.rules as RepositoryRuleset['rules'],
    // Bypass actors are shown to those who may edit the ruleset.
    ...(showBypass
      ? {
          bypass_actors: (ruleset.bypassActors ?? []).map((a) => ({
            actor_id: a.actorId,
            actor_type: a.actorType,
            bypass_mode: a.bypassMode,
          })),
        }
      : {}),
    ...(source === 'Repository' ? { current_user_can_bypass: 'never' as const } : {}),
  };
}

function branchProtection(ctx: GovernanceContext, repo: SimRepo, branch: string): BranchProtection {
  const p = repo.protection!;
  const url = `${ctx.base()}/repos/${ctx.org.login}/${repo.name}/branches/${branch}/protection`;
  return {
    url,
    enabled: true,
    name: branch,
    protection_url: url,
    required_status_checks: {
      url: `${url}/required_status_checks`,
      enforcement_level: p.requiresStatusChecks ? 'everyone' : 'off',
      contexts: p.statusChecks,
      checks: p.statusChecks.map((context) => ({ context, app_id: null })),
      contexts_url: `${url}/required_status_checks/contexts`,
      strict: p.requiresStatusChecks,
    },
    enforce_admins: { url: `${url}/enforce_admins`, enabled: p.enforceAdmins },
    ...(p.requiredReviews > 0
      ? {
          required_pull_request_reviews: {
            url: `${url}/required_pull_request_reviews`,
            dismiss_stale_reviews: p.dismissStaleReviews ?? false,
            require_code_owner_reviews: p.requireCodeOwnerReviews ?? false,
            required_approving_review_count: p.requiredReviews,
            require_last_push_approval: false,
          },
        }
      : {}),
    required_linear_history: { enabled: false },
    allow_force_pushes: { enabled: p.allowsForcePushes ?? false },
    allow_deletions: { enabled: p.allowsDeletions ?? false },
    block_creations: { enabled: false },
    required_conversation_resolution: { enabled: false },
    required_signatures: {
      url: `${url}/required_signatures`,
      enabled: p.requiresSignatures ?? false,
    },
    lock_branch: { enabled: false },
    allow_fork_syncing: { enabled: false },
  };
}

/**
 * `GET /repos/{owner}/{repo}`: GitHub's `full-repository`, which requires more than the listing
 * shape (license, network and subscriber counts, ...). `security_and_analysis` is shown to
 * callers with admin rights (an app: `administration`).
 */
export function fullRepository(ctx: GovernanceContext, repo: SimRepo): FullRepository {
  const minimal: MinimalRepository = minimalRepository(
    ctx.base(),
    ctx.org,
    repo,
    ctx.permissions().administration !== undefined,
  );
  return {
    ...minimal,
    forks: 0,
    forks_count: 0,
    git_url: minimal.git_url!,
    ssh_url: minimal.ssh_url!,
    clone_url: minimal.clone_url!,
    svn_url: minimal.svn_url!,
    mirror_url: null,
    homepage: null,
    language: 'TypeScript',
    size: 128,
    stargazers_count: 0,
    watchers_count: 0,
    watchers: 0,
    open_issues: 0,
    open_issues_count: 0,
    default_branch: repo.defaultBranch,
    has_issues: true,
    has_projects: false,
    has_wiki: false,
    has_pages: false,
    has_discussions: false,
    archived: repo.archived,
    disabled: false,
    pushed_at: repo.pushedAt,
    created_at: repo.createdAt,
    updated_at: repo.pushedAt,
    network_count: 0,
    subscribers_count: 0,
    permissions: { admin: false, maintain: false, push: false, triage: false, pull: true },
    license: licenseOf(ctx.base(), repo),
  };
}
