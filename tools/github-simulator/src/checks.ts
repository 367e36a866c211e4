import type { components } from '@octokit/openapi-types';
import type { SimOrg, SimRepo } from './org.js';
import { sha, type PullStore } from './pulls.js';
import { nodeId, simpleUser, type AppPermissions } from './representations.js';
import { REPO_PATH as R, type MethodRoute } from './route.js';

/**
 * Check runs (GitHub's Checks API): what GitHub Actions and other CI apps report on a commit,
 * beside the older commit statuses. Bodies are typed with GitHub's published OpenAPI schemas
 * (`@octokit/openapi-types`); the conformance test validates them against the schemas themselves.
 */
type Schemas = components['schemas'];
export type CheckRun = Schemas['check-run'];
type Integration = NonNullable<Schemas['nullable-integration']>;
type RunStatus = 'queued' | 'in_progress' | 'completed';
type Conclusion = NonNullable<CheckRun['conclusion']>;

const STATUSES: readonly string[] = ['queued', 'in_progress', 'completed'];
/** What an app may conclude; GitHub alone marks a run `stale`. */
const CONCLUSIONS: readonly string[] = [
  'action_required',
  'cancelled',
  'failure',
  'neutral',
  'success',
  'skipped',
  'timed_out',
];

export interface SimCheckRun {
  id: number;
  name: string;
  headSha: string;
  status: RunStatus;
  conclusion: Conclusion | null;
  startedAt: string | null;
  completedAt: string | null;
  detailsUrl: string | null;
  externalId: string | null;
  output: { title: string | null; summary: string | null; text: string | null };
}

export interface ChecksContext {
  org: SimOrg;
  base(): string;
  appId: number;
  appSlug: string;
  permissions(): AppPermissions;
  pulls: PullStore;
  repoOr404(owner: string, name: string): SimRepo;
  notFound(): Error;
  /** GitHub's 422 "Validation Failed" naming the field. */
  invalid(field: string, code?: string): Error;
}

/** The Checks API routes; each repository's check runs are kept oldest first. */
export function checkRunRoutes(ctx: ChecksContext): MethodRoute[] {
  const byRepo = new Map<string, SimCheckRun[]>();
  let nextId = 1;
  const runsOf = (repo: SimRepo) => {
    const key = repo.name.toLowerCase();
    if (!byRepo.has(key)) byRepo.set(key, []);
    return byRepo.get(key)!;
  };
  const runOr404 = (repo: SimRepo, id: string) => {
    const run = runsOf(repo).find((r) => r.id === Number(id));
    if (!run) throw ctx.notFound();
    return run;
  };
  const optionalText = (body: Record<string, unknown>, field: string) => {
    const value = body[field];
    if (value === undefined) return undefined;
    if (typeof value !== 'string') throw ctx.invalid(field, 'invalid');
    return value;
  };

  /**
   * Applies a create or update body as GitHub does: a conclusion completes the run (now, unless
   * `completed_at` says when); `completed` or `completed_at` without a conclusion is refused.
   */
  const apply = (run: SimCheckRun, body: Record<string, unknown>) => {
    const status = optionalText(body, 'status');
    if (status !== undefined && !STATUSES.includes(status)) throw ctx.invalid('status', 'invalid');
    const conclusion = optionalText(body, 'conclusion');
    if (conclusion !== undefined && !CONCLUSIONS.includes(conclusion)) {
      throw ctx.invalid('conclusion', 'invalid');
    }
    const completedAt = optionalText(body, 'completed_at');
    const concluded = (conclusion as Conclusion | undefined) ?? run.conclusion;
    if ((status === 'completed' || completedAt !== undefined) && !concluded) {
      throw ctx.invalid('conclusion', 'missing_field');
    }
    const output = body.output as Record<string, unknown> | undefined;
    let text: SimCheckRun['output'] | undefined;
    if (output !== undefined) {
      if (typeof output !== 'object' || output === null) throw ctx.invalid('output', 'invalid');
      const title = optionalText(output, 'title');
      const summary = optionalText(output, 'summary');
      if (title === undefined || summary === undefined)
        throw ctx.invalid('output', 'missing_field');
      text = { title, summary, text: optionalText(output, 'text') ?? null };
    }
    const fields = ['name', 'details_url', 'external_id', 'started_at'] as const;
    const [name, detailsUrl, externalId, startedAt] = fields.map((f) => optionalText(body, f));
    run.name = name ?? run.name;
    run.detailsUrl = detailsUrl ?? run.detailsUrl;
    run.externalId = externalId ?? run.externalId;
    run.startedAt = startedAt ?? run.startedAt;
    run.output = text ?? run.output;
    if (conclusion !== undefined || status === 'completed') {
      run.status = 'completed';
      run.conclusion = concluded;
      run.completedAt = completedAt ?? run.completedAt ?? new Date().toISOString();
    } else if (status !== undefined) {
      // Back to queued or in progress (a re-run): no conclusion until it completes again.
      run.status = status as RunStatus;
      run.conclusion = null;
      run.completedAt = null;
    }
  };

  return [
    [
      'POST',
      new RegExp(`${R}/check-runs$`),
      (m, _url, body) => {
        const repo = ctx.repoOr404(m[1]!, m[2]!);
        const name = optionalText(body, 'name');
        if (!name) throw ctx.invalid('name');
        const headSha = optionalText(body, 'head_sha');
        // GitHub answers 422 for a sha that names no commit; here any full sha is a commit.
        if (!headSha || !/^[0-9a-f]{40}$/.test(headSha)) throw ctx.invalid('head_sha');
        const run: SimCheckRun = {
          id: nextId++,
          name,
          headSha,
          status: 'queued',
          conclusion: null,
          startedAt: new Date().toISOString(),
          completedAt: null,
          detailsUrl: null,
          externalId: null,
          output: { title: null, summary: null, text: null },
        };
        apply(run, body);
        runsOf(repo).push(run);
        return { status: 201, body: checkRun(ctx, repo, run) };
      },
    ],
    [
      'PATCH',
      new RegExp(`${R}/check-runs/(\\d+)$`),
      (m, _url, body) => {
        const repo = ctx.repoOr404(m[1]!, m[2]!);
        const run = runOr404(repo, m[3]!);
        apply(run, body);
        return { body: checkRun(ctx, repo, run) };
      },
    ],
    [
      'GET',
      new RegExp(`${R}/check-runs/(\\d+)$`),
      (m) => {
        const repo = ctx.repoOr404(m[1]!, m[2]!);
        return { body: checkRun(ctx, repo, runOr404(repo, m[3]!)) };
      },
    ],
    [
      'GET',
      new RegExp(`${R}/commits/([^/]+)/check-runs$`),
      (m, url) => {
        const repo = ctx.repoOr404(m[1]!, m[2]!);
        const commit = ctx.pulls.resolveRef(repo, decodeURIComponent(m[3]!));
        const filter = url.searchParams.get('filter') ?? 'latest';
        const status = url.searchParams.get('status');
        const name = url.searchParams.get('check_name');
        if (filter !== 'latest' && filter !== 'all') throw ctx.invalid('filter', 'invalid');
        if (status !== null && !STATUSES.includes(status)) throw ctx.invalid('status', 'invalid');
        // Newest first; `latest` (GitHub's default) keeps the newest run of each name, so a
        // re-run replaces the run it repeats.
        const newest = runsOf(repo)
          .filter((r) => r.headSha === commit)
          .reverse();
        const runs = newest.filter(
          (r, i) =>
            (filter === 'all' || newest.findIndex((o) => o.name === r.name) === i) &&
            (status === null || r.status === status) &&
            (!name || r.name === name),
        );
        return {
          body: { total_count: runs.length, check_runs: runs.map((r) => checkRun(ctx, repo, r)) },
          paginate: 'check_runs',
        };
      },
    ],
  ];
}

function checkRun(ctx: ChecksContext, repo: SimRepo, run: SimCheckRun): CheckRun {
  const base = ctx.base();
  const repoUrl = `${base}/repos/${ctx.org.login}/${repo.name}`;
  const url = `${repoUrl}/check-runs/${run.id}`;
  const html = `https://github.com/${ctx.org.login}/${repo.name}/runs/${run.id}`;
  const app = integration(ctx);
  const repoRef = { id: repo.id, url: repoUrl, name: repo.name };
  return {
    id: run.id,
    head_sha: run.headSha,
    node_id: nodeId('CR', run.id),
    external_id: run.externalId,
    url,
    html_url: html,
    // GitHub shows the app's homepage when the app gave no details URL.
    details_url: run.detailsUrl ?? app.external_url,
    status: run.status,
    conclusion: run.conclusion,
    started_at: run.startedAt,
    completed_at: run.completedAt,
    output: { ...run.output, annotations_count: 0, annotations_url: `${url}/annotations` },
    name: run.name,
    // One suite per app and commit, as GitHub makes it on the first run.
    check_suite: { id: Number.parseInt(sha(`${repo.name}:${run.headSha}`).slice(0, 8), 16) },
    app,
    // The open pull requests whose head is the commit.
    pull_requests: [...ctx.pulls.activity(repo).pulls.values()]
      .filter((p) => p.state === 'open' && p.headSha === run.headSha)
      .map((p) => ({
        id: repo.id * 10_000 + p.number,
        number: p.number,
        url: `${repoUrl}/pulls/${p.number}`,
        head: { ref: p.headRef, sha: p.headSha, repo: repoRef },
        base: {
          ref: repo.defaultBranch,
          sha: sha(`${repo.name}:${repo.defaultBranch}`),
          repo: repoRef,
        },
      })),
  };
}

/** The App that made the run: the simulator's own (check runs are made with its token). */
function integration(ctx: ChecksContext): Integration {
  return {
    id: ctx.appId,
    slug: ctx.appSlug,
    node_id: nodeId('A', ctx.appId),
    owner: simpleUser(ctx.base(), { id: ctx.org.id, login: ctx.org.login }, 'Organization'),
    name: ctx.appSlug,
    description: null,
    external_url: `https://github.com/apps/${ctx.appSlug}`,
    html_url: `https://github.com/apps/${ctx.appSlug}`,
    created_at: '2024-01-01T00:00:00Z',
    updated_at: '2024-01-01T00:00:00Z',
    permissions: { ...ctx.permissions() } as Integration['permissions'],
    events: ['check_run', 'pull_request', 'push'],
  };
}
