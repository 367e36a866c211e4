import { createAppAuth } from '@octokit/auth-app';
import { GithubOctokit } from '#libs/github/src/index.js';
import type {
  CheckedPull,
  CheckValue,
  CommitStatusParams,
  ProviderPullsCheckResult,
  ProviderTarget,
  UpsertCommentParams,
} from '#libs/contracts/src/index.js';
import { ciStatus, checkRunState, type CheckRunState, type CombinedStatus } from './ci-status.js';
import { describeCause, ProviderCallError, ProviderTargetError } from './provider-error.js';

export interface GithubAdapterConfig {
  baseUrl: string;
  appId?: string;
  privateKey?: string;
  timeoutMs: number;
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const round2 = (n: number) => Math.round(n * 100) / 100;
/** GitHub's largest page of issue comments. */
const COMMENTS_PER_PAGE = 100;
/** GitHub's largest page of check runs. */
const CHECK_RUNS_PER_PAGE = 100;
/** Check runs read for one commit at most (GitHub lists those of the newest 1000 suites). */
const MAX_CHECK_RUN_PAGES = 10;

interface PullFacts {
  created_at: string;
  updated_at: string;
  additions: number;
  deletions: number;
  labels: Array<{ name?: string }>;
  head: { sha: string };
}

/** The checks of a pull request, from its REST or GraphQL representation. */
function pullValues(checks: string[], pull: PullFacts, now: number): Record<string, CheckValue> {
  const values: Record<string, CheckValue> = {};
  for (const check of checks) {
    if (check === 'pr.age') values[check] = round2((now - Date.parse(pull.created_at)) / HOUR);
    if (check === 'pr.changed_lines') values[check] = pull.additions + pull.deletions;
    if (check === 'pr.last_activity_days') {
      values[check] = round2((now - Date.parse(pull.updated_at)) / DAY);
    }
    if (check === 'pr.labels') values[check] = pull.labels.map((l) => l.name ?? '').filter(Boolean);
  }
  return values;
}

const PULLS_QUERY = `query OpenPulls($owner: String!, $name: String!, $first: Int!, $after: String) {
  repository(owner: $owner, name: $name) {
    pullRequests(states: OPEN, first: $first, after: $after, orderBy: {field: CREATED_AT, direction: DESC}) {
      nodes { number title headRefOid additions deletions createdAt updatedAt labels(first: 50) { nodes { name } } }
      pageInfo { hasNextPage endCursor }
    }
  }
}`;

/**
 * GitHub behind the checks and actions, as the GitHub App's installation of the workspace
 * (installation tokens minted from the app's key, cached by auth-app until they expire). Every
 * call is bounded by `timeoutMs`; a failure becomes a ProviderCallError with GitHub's status.
 */
export class GithubAdapter {
  private readonly clients = new Map<number, GithubOctokit>();

  constructor(private readonly config: GithubAdapterConfig) {}

  async check(
    installationId: number,
    checks: string[],
    target: ProviderTarget,
  ): Promise<{ values: Record<string, CheckValue>; calls: number }> {
    const gh = this.session(installationId);
    const { owner, repo } = splitRepo(target.repo);
    const values: Record<string, CheckValue> = {};
    const prChecks = checks.filter((c) => c.startsWith('pr.'));
    let pull: PullFacts | undefined;
    if (prChecks.length > 0 || (checks.includes('ci_status') && !target.ref && target.number)) {
      if (!target.number) {
        throw new ProviderTargetError('target.number', 'pull request checks need a pull request');
      }
      pull = await gh.call<PullFacts>('GET /repos/{owner}/{repo}/pulls/{pull_number}', {
        owner,
        repo,
        pull_number: target.number,
      });
      Object.assign(values, pullValues(prChecks, pull, Date.now()));
    }
    let defaultBranch: string | undefined;
    const branch = async () =>
      (defaultBranch ??= (
        await gh.call<{ default_branch: string }>('GET /repos/{owner}/{repo}', { owner, repo })
      ).default_branch);
    if (checks.includes('branch_protection')) {
      try {
        await gh.call('GET /repos/{owner}/{repo}/branches/{branch}/protection', {
          owner,
          repo,
          branch: await branch(),
        });
        values.branch_protection = true;
      } catch (error) {
        if (!(error instanceof ProviderCallError) || error.detail.status !== 404) throw error;
        values.branch_protection = false;
      }
    }
    if (checks.includes('ci_status')) {
      const ref = target.ref ?? pull?.head.sha ?? (await branch());
      // GitHub Actions reports check runs, not statuses: both are read, at once.
      const [combined, runs] = await Promise.all([
        gh.call<CombinedStatus>('GET /repos/{owner}/{repo}/commits/{ref}/status', {
          owner,
          repo,
          ref,
        }),
        checkRunsOf(gh, owner, repo, ref),
      ]);
      values.ci_status = ciStatus(combined, runs);
    }
    return { values, calls: gh.calls };
  }

  /** Open pull requests, newest first, `perPage` at a time, in one GraphQL call per page. */
  async checkPulls(
    installationId: number,
    repoName: string,
    checks: string[],
    cursor: string | undefined,
    perPage: number,
  ): Promise<ProviderPullsCheckResult> {
    const gh = this.session(installationId);
    const { owner, repo } = splitRepo(repoName);
    const data = await gh.call<{
      repository: {
        pullRequests: {
          nodes: Array<{
            number: number;
            title: string;
            headRefOid: string;
            additions: number;
            deletions: number;
            createdAt: string;
            updatedAt: string;
            labels: { nodes: Array<{ name: string }> };
          }>;
          pageInfo: { hasNextPage: boolean; endCursor: string | null };
        };
      };
    }>('POST /graphql', {
      query: PULLS_QUERY,
      variables: { owner, name: repo, first: perPage, after: cursor ?? null },
    });
    if ((data as unknown as { errors?: Array<{ message: string }> }).errors?.length) {
      const errors = (data as unknown as { errors: Array<{ message: string }> }).errors;
      throw new ProviderCallError(`GitHub GraphQL: ${errors.map((e) => e.message).join('; ')}`);
    }
    const connection = (data as unknown as { data: typeof data }).data.repository.pullRequests;
    const now = Date.now();
    const pulls: CheckedPull[] = connection.nodes.map((n) => ({
      number: n.number,
      title: n.title,
      headSha: n.headRefOid,
      values: pullValues(
        checks,
        {
          created_at: n.createdAt,
          updated_at: n.updatedAt,
          additions: n.additions,
          deletions: n.deletions,
          labels: n.labels.nodes,
          head: { sha: n.headRefOid },
        },
        now,
      ),
    }));
    return {
      pulls,
      nextCursor: connection.pageInfo.hasNextPage ? connection.pageInfo.endCursor : null,
      providerCalls: gh.calls,
    };
  }

  async act(
    installationId: number,
    method: string,
    params: Record<string, unknown>,
    target: ProviderTarget,
  ): Promise<{ ref: Record<string, string | number>; calls: number }> {
    const gh = this.session(installationId);
    const { owner, repo } = splitRepo(target.repo);
    const issueNumber = () => {
      if (!target.number) {
        throw new ProviderTargetError('target.number', `${method} needs a pull request or issue`);
      }
      return target.number;
    };
    const done = (ref: Record<string, string | number>) => ({ ref, calls: gh.calls });
    switch (method) {
      case 'pr_comment':
      case 'comment': {
        const made = await gh.call<{ id: number; html_url: string }>(
          'POST /repos/{owner}/{repo}/issues/{issue_number}/comments',
          { owner, repo, issue_number: issueNumber(), body: String(params.body) },
        );
        return done({ id: made.id, url: made.html_url });
      }
      case 'add_label':
      case 'label': {
        await gh.call('POST /repos/{owner}/{repo}/issues/{issue_number}/labels', {
          owner,
          repo,
          issue_number: issueNumber(),
          labels: [String(params.label)],
        });
        return done({ label: String(params.label) });
      }
      case 'create_issue': {
        const made = await gh.call<{ number: number; html_url: string }>(
          'POST /repos/{owner}/{repo}/issues',
          {
            owner,
            repo,
            title: String(params.title),
            ...(params.body === undefined ? {} : { body: String(params.body) }),
            ...(Array.isArray(params.labels) ? { labels: params.labels.map(String) } : {}),
          },
        );
        return done({ number: made.number, url: made.html_url });
      }
      case 'create_status': {
        const p = params as unknown as CommitStatusParams;
        if (!target.ref) throw new ProviderTargetError('target.ref', 'a commit status needs a sha');
        const made = await gh.call<{ id: number }>('POST /repos/{owner}/{repo}/statuses/{sha}', {
          owner,
          repo,
          sha: target.ref,
          state: p.state,
          context: p.context,
          // GitHub keeps at most 140 characters of a status description.
          description: p.description.slice(0, 140),
          ...(p.target_url ? { target_url: p.target_url } : {}),
        });
        return done({ id: made.id });
      }
      case 'upsert_comment': {
        const p = params as unknown as UpsertCommentParams;
        const number = issueNumber();
        const body = `${p.body}\n\n${p.marker}`;
        // GitHub lists a conversation's comments at most 100 a page: read on until the marker
        // is found or a page comes back short (the last), so a long thread gets no second one.
        let mine: { id: number; body?: string } | undefined;
        for (let page = 1; !mine; page++) {
          const comments = await gh.call<Array<{ id: number; body?: string }>>(
            'GET /repos/{owner}/{repo}/issues/{issue_number}/comments',
            { owner, repo, issue_number: number, per_page: COMMENTS_PER_PAGE, page },
          );
          mine = comments.find((c) => c.body?.includes(p.marker));
          if (comments.length < COMMENTS_PER_PAGE) break;
        }
        if (mine) {
          if (mine.body !== body) {
            await gh.call('PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}', {
              owner,
              repo,
              comment_id: mine.id,
              body,
            });
          }
          return done({ id: mine.id, updated: 1 });
        }
        const made = await gh.call<{ id: number }>(
          'POST /repos/{owner}/{repo}/issues/{issue_number}/comments',
          { owner, repo, issue_number: number, body },
        );
        return done({ id: made.id, updated: 0 });
      }
      default:
        throw new ProviderTargetError('method', `github has no action ${method}`);
    }
  }

  /** One client per installation (its token cache lives in it); calls counted per session. */
  private session(installationId: number) {
    const { appId, privateKey, baseUrl, timeoutMs } = this.config;
    if (!appId || !privateKey) {
      throw new ProviderCallError(
        'the GitHub App is not configured (GITHUB_APP_ID and GITHUB_APP_PRIVATE_KEY or GITHUB_APP_PRIVATE_KEY_PATH)',
      );
    }
    let octokit = this.clients.get(installationId);
    if (!octokit) {
      octokit = new GithubOctokit({
        baseUrl,
        authStrategy: createAppAuth,
        auth: { appId, privateKey, installationId },
      });
      this.clients.set(installationId, octokit);
    }
    const client = octokit;
    const session = {
      calls: 0,
      async call<T = unknown>(route: string, params: Record<string, unknown>): Promise<T> {
        session.calls++;
        // A timer cleared on the answer: AbortSignal.timeout would fire (and build its error)
        // long after every call that answered in time.
        const abort = new AbortController();
        const timer = setTimeout(() => abort.abort(), timeoutMs);
        try {
          const response = await client.request(route, {
            ...params,
            request: { signal: abort.signal },
          });
          return response.data as T;
        } catch (error) {
          if (abort.signal.aborted) {
            throw new ProviderCallError(`GitHub did not answer ${route} within ${timeoutMs} ms`, {
              code: 'timeout',
            });
          }
          const status = (error as { status?: number }).status;
          throw new ProviderCallError(
            typeof status === 'number' && status > 0
              ? `GitHub answered ${status} to ${route.split(' ')[0]} ${route.split(' ')[1]}: ${describeCause(error)}`
              : `GitHub did not answer ${route}: ${describeCause(error)}`,
            typeof status === 'number' && status > 0 ? { status } : { code: 'unreachable' },
          );
        } finally {
          clearTimeout(timer);
        }
      },
    };
    return session;
  }
}

/**
 * The commit's check runs (GitHub's default `filter=latest`: the newest run of each name, so a
 * re-run replaces the failure it repeats), page by page until all are read or one has failed.
 */
async function checkRunsOf(
  gh: { call<T>(route: string, params: Record<string, unknown>): Promise<T> },
  owner: string,
  repo: string,
  ref: string,
): Promise<CheckRunState[]> {
  const runs: CheckRunState[] = [];
  for (let page = 1; page <= MAX_CHECK_RUN_PAGES; page++) {
    const data = await gh.call<{ total_count: number; check_runs: CheckRunState[] }>(
      'GET /repos/{owner}/{repo}/commits/{ref}/check-runs',
      { owner, repo, ref, per_page: CHECK_RUNS_PER_PAGE, page },
    );
    runs.push(...data.check_runs);
    const failed = data.check_runs.some((run) => checkRunState(run) === 'failure');
    if (failed || data.check_runs.length < CHECK_RUNS_PER_PAGE || runs.length >= data.total_count)
      break;
  }
  return runs;
}

function splitRepo(full: string | undefined): { owner: string; repo: string } {
  const match = /^([\w.-]+)\/([\w.-]+)$/.exec(full ?? '');
  if (!match) throw new ProviderTargetError('target.repo', 'expected the repository as owner/name');
  return { owner: match[1]!, repo: match[2]! };
}
