import type { components } from '@octokit/openapi-types';
import type { RepoPermission, SimOrg, SimRepo, SimTeam, SimUser } from './org.js';

/**
 * REST bodies, typed with GitHub's published OpenAPI schemas (`@octokit/openapi-types`) so that a
 * field GitHub requires cannot be forgotten and a field it does not have cannot be invented.
 */
type Schemas = components['schemas'];
export type SimpleUser = Schemas['simple-user'];
export type MinimalRepository = Schemas['minimal-repository'];
export type TeamRepository = Schemas['team-repository'];
export type Collaborator = Schemas['collaborator'];
export type Team = Schemas['team'];
export type Installation = Schemas['installation'];
export type InstallationTokenBody = Schemas['installation-token'];
export type AppPermissions = Schemas['app-permissions'];
export type RateLimitOverview = Schemas['rate-limit-overview'];
export type BasicError = Schemas['basic-error'];

export function nodeId(prefix: string, id: number): string {
  return `${prefix}_kgDO${Buffer.from(String(id)).toString('base64url')}`;
}

export function simpleUser(
  base: string,
  user: SimUser,
  type: 'User' | 'Organization' = 'User',
): SimpleUser {
  const url = `${base}/users/${user.login}`;
  return {
    login: user.login,
    id: user.id,
    node_id: nodeId(type === 'User' ? 'U' : 'O', user.id),
    avatar_url: `https://avatars.example.invalid/u/${user.id}`,
    gravatar_id: '',
    url,
    html_url: `https://github.com/${user.login}`,
    followers_url: `${url}/followers`,
    following_url: `${url}/following{/other_user}`,
    gists_url: `${url}/gists{/gist_id}`,
    starred_url: `${url}/starred{/owner}{/repo}`,
    subscriptions_url: `${url}/subscriptions`,
    organizations_url: `${url}/orgs`,
    repos_url: `${url}/repos`,
    events_url: `${url}/events{/privacy}`,
    received_events_url: `${url}/received_events`,
    type,
    site_admin: false,
    user_view_type: 'public',
  };
}

export function permissionsFor(permission: RepoPermission) {
  const rank = ['pull', 'triage', 'push', 'maintain', 'admin'].indexOf(permission);
  return {
    pull: rank >= 0,
    triage: rank >= 1,
    push: rank >= 2,
    maintain: rank >= 3,
    admin: rank >= 4,
  };
}

/** GitHub names permissions one way in `permission` and another in `role_name`. */
export function roleName(permission: RepoPermission): string {
  return { pull: 'read', triage: 'triage', push: 'write', maintain: 'maintain', admin: 'admin' }[
    permission
  ];
}

function repoUrls(base: string, fullName: string) {
  const url = `${base}/repos/${fullName}`;
  return {
    url,
    html_url: `https://github.com/${fullName}`,
    archive_url: `${url}/{archive_format}{/ref}`,
    assignees_url: `${url}/assignees{/user}`,
    blobs_url: `${url}/git/blobs{/sha}`,
    branches_url: `${url}/branches{/branch}`,
    collaborators_url: `${url}/collaborators{/collaborator}`,
    comments_url: `${url}/comments{/number}`,
    commits_url: `${url}/commits{/sha}`,
    compare_url: `${url}/compare/{base}...{head}`,
    contents_url: `${url}/contents/{+path}`,
    contributors_url: `${url}/contributors`,
    deployments_url: `${url}/deployments`,
    downloads_url: `${url}/downloads`,
    events_url: `${url}/events`,
    forks_url: `${url}/forks`,
    git_commits_url: `${url}/git/commits{/sha}`,
    git_refs_url: `${url}/git/refs{/sha}`,
    git_tags_url: `${url}/git/tags{/sha}`,
    git_url: `git://github.com/${fullName}.git`,
    issue_comment_url: `${url}/issues/comments{/number}`,
    issue_events_url: `${url}/issues/events{/number}`,
    issues_url: `${url}/issues{/number}`,
    keys_url: `${url}/keys{/key_id}`,
    labels_url: `${url}/labels{/name}`,
    languages_url: `${url}/languages`,
    merges_url: `${url}/merges`,
    milestones_url: `${url}/milestones{/number}`,
    notifications_url: `${url}/notifications{?since,all,participating}`,
    pulls_url: `${url}/pulls{/number}`,
    releases_url: `${url}/releases{/id}`,
    ssh_url: `git@github.com:${fullName}.git`,
    stargazers_url: `${url}/stargazers`,
    statuses_url: `${url}/statuses/{sha}`,
    subscribers_url: `${url}/subscribers`,
    subscription_url: `${url}/subscription`,
    tags_url: `${url}/tags`,
    teams_url: `${url}/teams`,
    trees_url: `${url}/git/trees{/sha}`,
    clone_url: `https://github.com/${fullName}.git`,
    hooks_url: `${url}/hooks`,
    svn_url: `https://github.com/${fullName}`,
  };
}

/**
 * `security_and_analysis` is only shown to callers with admin rights on the repository; for a
 * GitHub App that means the `administration` permission.
 */
export function minimalRepository(
  base: string,
  org: SimOrg,
  repo: SimRepo,
  showSecurity: boolean,
): MinimalRepository {
  const fullName = `${org.login}/${repo.name}`;
  return {
    id: repo.id,
    node_id: nodeId('R', repo.id),
    name: repo.name,
    full_name: fullName,
    owner: simpleUser(base, { id: org.id, login: org.login }, 'Organization'),
    private: repo.private,
    description: repo.description,
    fork: repo.fork,
    ...repoUrls(base, fullName),
    mirror_url: null,
    homepage: null,
    language: 'TypeScript',
    forks_count: 0,
    stargazers_count: 0,
    watchers_count: 0,
    size: 128,
    default_branch: repo.defaultBranch,
    open_issues_count: 0,
    is_template: false,
    topics: [],
    has_issues: true,
    has_projects: false,
    has_wiki: false,
    has_pages: false,
    has_downloads: true,
    has_discussions: false,
    archived: repo.archived,
    disabled: false,
    visibility: repo.private ? 'private' : 'public',
    pushed_at: repo.pushedAt,
    created_at: repo.createdAt,
    updated_at: repo.pushedAt,
    permissions: { admin: false, maintain: false, push: false, triage: false, pull: true },
    forks: 0,
    open_issues: 0,
    watchers: 0,
    license: licenseOf(base, repo),
    ...(showSecurity
      ? {
          security_and_analysis: {
            secret_scanning: { status: repo.secretScanning ? 'enabled' : 'disabled' },
            secret_scanning_push_protection: {
              status: (repo.pushProtection ?? repo.secretScanning) ? 'enabled' : 'disabled',
            },
          },
        }
      : {}),
  };
}

/** GitHub's `license-simple`, or null for a repository without a recognised license. */
export function licenseOf(base: string, repo: SimRepo) {
  return repo.license
    ? {
        key: repo.license.key,
        name: repo.license.name,
        spdx_id: repo.license.spdxId,
        url: `${base}/licenses/${repo.license.key}`,
        node_id: `L_${Buffer.from(repo.license.key).toString('base64url')}`,
      }
    : null;
}

export function teamRepository(
  base: string,
  org: SimOrg,
  repo: SimRepo,
  permission: RepoPermission,
): TeamRepository {
  const minimal = minimalRepository(base, org, repo, false);
  return {
    ...minimal,
    id: repo.id,
    license: licenseOf(base, repo),
    forks: 0,
    permissions: permissionsFor(permission),
    role_name: roleName(permission),
    owner: minimal.owner,
    git_url: minimal.git_url!,
    ssh_url: minimal.ssh_url!,
    clone_url: minimal.clone_url!,
    svn_url: minimal.svn_url!,
    mirror_url: null,
    homepage: null,
    language: 'TypeScript',
    forks_count: 0,
    stargazers_count: 0,
    watchers_count: 0,
    size: 128,
    default_branch: repo.defaultBranch,
    open_issues_count: 0,
    has_issues: true,
    has_projects: false,
    has_wiki: false,
    has_pages: false,
    has_downloads: true,
    archived: repo.archived,
    disabled: false,
    pushed_at: repo.pushedAt,
    created_at: repo.createdAt,
    updated_at: repo.pushedAt,
    open_issues: 0,
    watchers: 0,
  };
}

export function collaborator(
  base: string,
  user: SimUser,
  permission: RepoPermission,
): Collaborator {
  return {
    ...simpleUser(base, user),
    permissions: permissionsFor(permission),
    role_name: roleName(permission),
  };
}

export function team(
  base: string,
  org: SimOrg,
  simTeam: SimTeam,
  permission: RepoPermission = 'pull',
): Team {
  const url = `${base}/organizations/${org.id}/team/${simTeam.id}`;
  return {
    id: simTeam.id,
    node_id: nodeId('T', simTeam.id),
    name: simTeam.name,
    slug: simTeam.slug,
    description: null,
    privacy: 'closed',
    notification_setting: 'notifications_enabled',
    permission,
    permissions: permissionsFor(permission),
    url,
    html_url: `https://github.com/orgs/${org.login}/teams/${simTeam.slug}`,
    members_url: `${url}/members{/member}`,
    repositories_url: `${url}/repos`,
    type: 'organization',
    organization_id: org.id,
    parent: null,
  };
}

export function installation(
  base: string,
  org: SimOrg,
  id: number,
  appId: number,
  permissions: AppPermissions,
): Installation {
  return {
    id,
    account: simpleUser(base, { id: org.id, login: org.login }, 'Organization'),
    repository_selection: 'all',
    access_tokens_url: `${base}/app/installations/${id}/access_tokens`,
    repositories_url: `${base}/installation/repositories`,
    html_url: `https://github.com/organizations/${org.login}/settings/installations/${id}`,
    app_id: appId,
    target_id: org.id,
    target_type: 'Organization',
    permissions,
    events: ['repository', 'member', 'branch_protection_rule'],
    created_at: '2024-01-01T00:00:00Z',
    updated_at: '2024-01-01T00:00:00Z',
    single_file_name: null,
    app_slug: 'integrations-platform-sim',
    suspended_by: null,
    suspended_at: null,
  };
}
