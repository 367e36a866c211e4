import type { Logger } from 'pino';
import type { TeamAccess } from '#libs/contracts/src/index.js';
import type { OrgFacts } from '../drift/org-facts.js';
import type { GithubReader, SecuritySettings } from '../github/github-reader.js';
import { rulesetFromRest, type Ruleset } from '../protection/rulesets.js';

/**
 * What a scan reads once about the organization, each with a conditional request (a warm rescan
 * pays nothing for what did not change). A part the installation may not read is left undefined
 * (null for the maps the repositories use) and the checks on it are skipped.
 */
export interface OrgContext {
  outside: Set<string> | null;
  teams: Map<string, TeamAccess[]>;
  security: Map<string, SecuritySettings>;
  /** Active branch rulesets of the organization, with their rules; null: not readable. */
  rulesets: Ruleset[] | null;
  facts: OrgFacts;
}

interface OrgBody {
  two_factor_requirement_enabled?: boolean | null;
  default_repository_permission?: string | null;
  members_can_create_public_repositories?: boolean;
}

export async function readOrgContext(
  reader: GithubReader,
  login: string,
  log: Logger,
): Promise<OrgContext> {
  /** 403 (no permission) and 404 (GitHub hides what the app may not see): not readable. */
  const optional = async <T>(what: string, read: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await read();
    } catch (error) {
      const status = (error as { status?: number }).status;
      if (status === 403 || status === 404) {
        log.warn({ what, status }, 'the installation may not read this; its checks are skipped');
        return undefined;
      }
      throw error;
    }
  };
  const org = `/orgs/${login}`;
  const [outside, teams, security, rulesets, settings, owners, actions, workflow, hooks] =
    await Promise.all([
      optional('outside collaborators', () => reader.outsideCollaborators(login)),
      optional('team access', () => reader.teamAccess(login)),
      optional('security settings', () => reader.securitySettings(login)),
      optional('organization rulesets', () => organizationRulesets(reader, login)),
      optional('organization settings', () =>
        reader.cachedGet(org, (o: OrgBody) =>
          // GitHub shows these to owners (an app: organization administration) only. (null, not
          // undefined: the kept part of an answer is stored as JSON.)
          o.two_factor_requirement_enabled === undefined
            ? null
            : {
                twoFactorRequired: o.two_factor_requirement_enabled ?? null,
                defaultRepositoryPermission: o.default_repository_permission ?? null,
                membersCanCreatePublicRepositories:
                  o.members_can_create_public_repositories ?? null,
              },
        ),
      ),
      optional('owners', () =>
        reader.cachedList(`${org}/members?role=admin`, (u: { login: string }) => u.login),
      ),
      optional('actions permissions', () =>
        reader.cachedGet(
          `${org}/actions/permissions`,
          (a: { enabled_repositories: string; allowed_actions?: string }) => ({
            enabledRepositories: a.enabled_repositories,
            allowedActions: a.allowed_actions ?? null,
          }),
        ),
      ),
      optional('workflow permissions', () =>
        reader.cachedGet(
          `${org}/actions/permissions/workflow`,
          (w: {
            default_workflow_permissions: string;
            can_approve_pull_request_reviews: boolean;
          }) => ({
            defaultWorkflowPermissions: w.default_workflow_permissions,
            canApprovePullRequestReviews: w.can_approve_pull_request_reviews,
          }),
        ),
      ),
      optional('organization webhooks', () =>
        reader.cachedList(
          `${org}/hooks`,
          (h: {
            id: number;
            config: { url?: string; secret?: string; insecure_ssl?: string | number };
          }) => ({
            id: h.id,
            url: h.config.url ?? '',
            // GitHub masks a secret as "********" and leaves the field out when there is none.
            hasSecret: typeof h.config.secret === 'string' && h.config.secret.length > 0,
            insecureSsl: String(h.config.insecure_ssl ?? '0') === '1',
          }),
        ),
      ),
    ]);
  const teamAdminRepos = teams ? adminCounts(teams) : undefined;
  return {
    outside: outside ?? null,
    teams: teams ?? new Map(),
    security: security ?? new Map(),
    rulesets: rulesets ?? null,
    facts: {
      login,
      ...(settings ? { settings } : {}),
      ...(owners ? { owners } : {}),
      ...(actions ? { actions } : {}),
      ...(workflow ? { workflow } : {}),
      ...(hooks ? { hooks } : {}),
      ...(teamAdminRepos ? { teamAdminRepos } : {}),
    },
  };
}

/**
 * The part of the organization's context one repository needs (a webhook's rescan): outside
 * collaborators, its teams, its security settings and the organization's rulesets.
 */
export async function readRepoContext(
  reader: GithubReader,
  login: string,
  fullName: string,
): Promise<OrgContext> {
  const forbidden = (error: unknown) => {
    const status = (error as { status?: number }).status;
    if (status === 403 || status === 404) return undefined;
    throw error;
  };
  const [outside, teams, security, rulesets] = await Promise.all([
    reader.outsideCollaborators(login).catch(forbidden),
    reader.repositoryTeams(fullName).catch(forbidden),
    reader.repositorySecurity(fullName).catch(forbidden),
    organizationRulesets(reader, login).catch(forbidden),
  ]);
  return {
    outside: outside ?? null,
    teams: new Map(teams ? [[fullName, teams]] : []),
    security: new Map(security ? [[fullName, security]] : []),
    rulesets: rulesets ?? null,
    facts: { login },
  };
}

/**
 * The organization's rulesets: the list (summaries), then the details of each active branch
 * ruleset; disabled and evaluate-mode ones enforce nothing and are not read further.
 */
async function organizationRulesets(reader: GithubReader, login: string): Promise<Ruleset[]> {
  const summaries = await reader.cachedList(`/orgs/${login}/rulesets`, rulesetFromRest);
  const enforcing = summaries.filter((r) => r.enforcement === 'active' && r.target === 'branch');
  return Promise.all(
    enforcing.map((r) => reader.cachedGet(`/orgs/${login}/rulesets/${r.id}`, rulesetFromRest)),
  );
}

function adminCounts(teams: Map<string, TeamAccess[]>): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const access of teams.values()) {
    for (const team of access) {
      counts[team.slug] ??= 0;
      if (team.permission === 'admin') counts[team.slug]!++;
    }
  }
  return counts;
}
