import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuthFailure, generateAppKeys, publicKeyOf, TokenIssuer, verifyAppJwt } from './auth.js';
import { checkRunRoutes } from './checks.js';
import { REPO_PATH as R, type Answer, type MethodRoute } from './route.js';
import { governanceRoutes } from './governance.js';
import { loadGithubSchema, runGraphql } from './graphql.js';
import { parseOauthBody, UserAuthorizations } from './oauth.js';
import { generateOrg, seededRandom, type SimOrg, type SimRepo } from './org.js';
import { InstallationBudgets, type Budgets } from './rate-limit.js';
import { deliverWebhook, PullStore, type SimPull } from './pulls.js';
import {
  collaborator,
  installation,
  minimalRepository,
  simpleUser,
  team,
  teamRepository,
  type AppPermissions,
  type BasicError,
  type InstallationTokenBody,
  type RateLimitOverview,
} from './representations.js';

export interface SecondaryLimitOptions {
  /** More requests than this in flight at once are turned away. */
  maxConcurrent?: number;
  /** Every n-th counted request is turned away (deterministic, for tests). */
  everyNth?: number;
  status?: 403 | 429;
  retryAfterSeconds?: number;
}

export interface GithubSimulatorOptions {
  port?: number;
  host?: string;
  /** Size of the generated org; ignored when `org` is given. */
  repos?: number;
  seed?: number;
  orgLogin?: string;
  /** A hand-made org (see `orgFromRepos`). */
  org?: SimOrg;
  appId?: number;
  installationId?: number;
  /**
   * For load tests with many workspaces: ids `installationId + 1 ... + extraInstallations` are
   * further installations of the App on the same org (each workspace needs its own).
   */
  extraInstallations?: number;
  /** An existing PEM to use as the app's key; otherwise a fresh key is written to a temp file. */
  privateKeyPath?: string;
  permissions?: AppPermissions;
  latencyMs?: number;
  /** Fraction of API requests answered with 502. */
  failRate?: number;
  /** Repositories whose every REST call answers 502 (a repo that keeps failing). */
  failingRepos?: string[];
  /**
   * Primary limit per window for REST (`core`) and GraphQL points, each installation its own;
   * GitHub's rule by default.
   */
  rateLimit?: number;
  graphqlRateLimit?: number;
  rateLimitWindowMs?: number;
  secondary?: SecondaryLimitOptions;
  tokenTtlMs?: number;
  /** Where deliveries of what the simulator makes happen go (`/_simulator/repos/.../pulls`). */
  webhookUrl?: string;
  webhookSecret?: string;
  /** The App's OAuth client (GitHub shows both on the App's settings page). */
  clientId?: string;
  clientSecret?: string;
  /** The App's slug, in `/apps/<slug>/installations/new`. */
  appSlug?: string;
  /** The App's "Setup URL": where GitHub sends the browser after an installation. */
  setupUrl?: string;
  /** The user who installed the App on the org; org members can access the installation too. */
  installerLogin?: string;
}

export interface SimulatorStats {
  requests: number;
  restRequests: number;
  graphqlRequests: number;
  /** GraphQL requests that read a repository's pull requests (what the rules engine asks). */
  graphqlPullRequestQueries: number;
  notModified: number;
  /** Primary rate-limit points spent: REST requests plus GraphQL points. */
  budgetSpent: number;
  restBudgetSpent: number;
  graphqlPointsSpent: number;
  rateLimited: number;
  secondaryLimited: number;
  injectedFailures: number;
  tokensIssued: number;
  byRoute: Record<string, number>;
}

export interface GithubSimulator {
  url: string;
  org: SimOrg;
  appId: number;
  installationId: number;
  privateKeyPath: string;
  privateKeyPem: string;
  clientId: string;
  clientSecret: string;
  appSlug: string;
  /** The signed-in user by default, who can access the installation. */
  installerLogin: string;
  /** The App's "Setup URL" (known only once the service that serves it has a port). */
  setSetupUrl(url: string): void;
  /** As GitHub does when an org owner suspends or uninstalls the App. */
  suspendInstallation(): void;
  deleteInstallation(): void;
  stats(): SimulatorStats;
  resetStats(): void;
  setPermissions(permissions: AppPermissions): void;
  /** Uses up the REST budget of the installation it was started with; it refills `resetInMs` from now. */
  exhaustRateLimit(resetInMs: number): void;
  /** Answers this fraction of API requests with 502; only those of `methods` when given. */
  setFailRate(rate: number, methods?: string[]): void;
  setLatency(ms: number): void;
  setSecondary(options: SecondaryLimitOptions | undefined): void;
  /** Where `/_simulator/repos/{owner}/{repo}/pulls` delivers its webhooks. */
  setWebhookTarget(url: string, secret: string): void;
  /** Pull requests, comments, issues and statuses. */
  pulls: PullStore;
  close(): Promise<void>;
}

export const DEFAULT_PERMISSIONS: AppPermissions = {
  metadata: 'read',
  administration: 'read',
  members: 'read',
  contents: 'read',
  organization_administration: 'read',
  organization_hooks: 'read',
};

const DOCS = 'https://docs.github.com/rest';

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: BasicError,
    readonly headers: Record<string, string> = {},
  ) {
    super(body.message);
  }
}

/** Starts the simulator on a real port; `url` is the API base to give Octokit. */
export async function startGithubSimulator(
  options: GithubSimulatorOptions = {},
): Promise<GithubSimulator> {
  loadGithubSchema();
  const org =
    options.org ??
    generateOrg({
      login: options.orgLogin ?? 'acme',
      repos: options.repos ?? 25,
      seed: options.seed ?? 1,
    });
  const appId = options.appId ?? 424_242;
  const installationId = options.installationId ?? 31_337;
  let privateKeyPath = options.privateKeyPath;
  let privateKeyPem: string;
  if (privateKeyPath) {
    privateKeyPem = readFileSync(privateKeyPath, 'utf8');
  } else {
    privateKeyPem = generateAppKeys().privateKeyPem;
    privateKeyPath = join(mkdtempSync(join(tmpdir(), 'github-sim-')), 'app.pem');
    writeFileSync(privateKeyPath, privateKeyPem, { mode: 0o600 });
  }
  const publicKeyPem = publicKeyOf(privateKeyPem);
  let permissions: AppPermissions = { ...(options.permissions ?? DEFAULT_PERMISSIONS) };
  let latencyMs = options.latencyMs ?? 0;
  let failRate = options.failRate ?? 0;
  let failMethods: Set<string> | undefined;
  let secondary = options.secondary;
  const failingRepos = new Set(options.failingRepos ?? []);
  const random = seededRandom((options.seed ?? 1) * 7919);
  const windowMs = options.rateLimitWindowMs ?? 3_600_000;
  // GitHub's rule for an app installation on an organization: 5,000 per hour, plus 50 per
  // repository beyond 20 and 50 per member beyond 20, at most 12,500.
  const installationLimit = Math.min(
    12_500,
    5_000 + 50 * Math.max(0, org.repos.length - 20) + 50 * Math.max(0, org.members.length - 20),
  );
  const budgets = new InstallationBudgets({
    core: options.rateLimit ?? installationLimit,
    graphql: options.graphqlRateLimit ?? installationLimit,
    windowMs,
  });
  const tokens = new TokenIssuer(options.tokenTtlMs ?? 3_600_000);
  const users = new UserAuthorizations(options);
  const appSlug = options.appSlug ?? 'integrations-platform-sim';
  const installerLogin = options.installerLogin ?? `${org.login}-admin`;
  let setupUrl = options.setupUrl;
  let installationSuspendedAt: string | null = null;
  let installationDeleted = false;
  const canAccessInstallation = (login: string) =>
    login === installerLogin || org.members.some((m) => m.login === login);
  const currentInstallation = () => ({
    ...installation(base, org, installationId, appId, permissions),
    suspended_at: installationSuspendedAt,
    suspended_by: installationSuspendedAt ? simpleUser(base, userByLogin(installerLogin)) : null,
  });
  let inFlight = 0;
  let counted = 0;
  const pulls = new PullStore(org);
  let webhook =
    options.webhookUrl && options.webhookSecret
      ? { url: options.webhookUrl, secret: options.webhookSecret }
      : undefined;
  const deliveries: Array<{
    event: string;
    action: string;
    deliveryId: string;
    status: number | string;
  }> = [];

  const emptyStats = (): SimulatorStats => ({
    requests: 0,
    restRequests: 0,
    graphqlRequests: 0,
    graphqlPullRequestQueries: 0,
    notModified: 0,
    budgetSpent: 0,
    restBudgetSpent: 0,
    graphqlPointsSpent: 0,
    rateLimited: 0,
    secondaryLimited: 0,
    injectedFailures: 0,
    tokensIssued: 0,
    byRoute: {},
  });
  let stats = emptyStats();

  let base = '';
  // An index by name, rebuilt when a test changes the org (a miss, a rename or a new length).
  let repoIndex = new Map<string, SimRepo>();
  let indexedLength = -1;
  const repoByName = (owner: string, name: string) => {
    if (owner.toLowerCase() !== org.login.toLowerCase()) return undefined;
    const key = name.toLowerCase();
    let repo = indexedLength === org.repos.length ? repoIndex.get(key) : undefined;
    if (!repo || repo.name.toLowerCase() !== key) {
      repoIndex = new Map(org.repos.map((r) => [r.name.toLowerCase(), r]));
      indexedLength = org.repos.length;
      repo = repoIndex.get(key);
    }
    return repo;
  };
  const notFound = () =>
    new HttpError(404, { message: 'Not Found', documentation_url: DOCS, status: '404' });
  const needs = (permission: keyof AppPermissions) => {
    if (!permissions[permission]) {
      throw new HttpError(403, {
        message: 'Resource not accessible by integration',
        documentation_url: DOCS,
        status: '403',
      });
    }
  };
  const userByLogin = (login: string) =>
    org.members.find((m) => m.login === login) ??
    org.outsideCollaborators.find((m) => m.login === login) ?? {
      id: 90_000 + (createHash('sha1').update(login).digest().readUInt16BE(0) ?? 0),
      login,
    };

  /** Routes for calls made with an installation token. */
  const installationRoutes: Array<[RegExp, (m: RegExpExecArray, url: URL) => Answer]> = [
    [
      /^\/installation\/repositories$/,
      (_m, url) => {
        const page = pageOf(url);
        const repos = org.repos.map((r) => minimalRepository(base, org, r, false));
        return {
          body: {
            total_count: repos.length,
            repositories: repos.slice((page.page - 1) * page.perPage, page.page * page.perPage),
          },
          headers: linkHeader(url, page, repos.length),
        };
      },
    ],
    [
      /^\/orgs\/([^/]+)\/repos$/,
      (m) => {
        if (m[1]!.toLowerCase() !== org.login.toLowerCase()) throw notFound();
        needs('metadata');
        const showSecurity = permissions.administration !== undefined;
        return {
          body: org.repos.map((r) => minimalRepository(base, org, r, showSecurity)),
          paginate: true,
        };
      },
    ],
    [
      /^\/orgs\/([^/]+)\/outside_collaborators$/,
      (m) => {
        if (m[1]!.toLowerCase() !== org.login.toLowerCase()) throw notFound();
        needs('members');
        return {
          body: org.outsideCollaborators.map((u) => ({
            ...collaborator(base, u, 'pull'),
            permissions: undefined,
            role_name: undefined,
          })),
          paginate: true,
        };
      },
    ],
    [
      /^\/orgs\/([^/]+)\/teams$/,
      (m) => {
        if (m[1]!.toLowerCase() !== org.login.toLowerCase()) throw notFound();
        needs('members');
        return { body: org.teams.map((t) => team(base, org, t)), paginate: true };
      },
    ],
    [
      /^\/orgs\/([^/]+)\/teams\/([^/]+)\/repos$/,
      (m) => {
        const found = org.teams.find((t) => t.slug === m[2]);
        if (m[1]!.toLowerCase() !== org.login.toLowerCase() || !found) throw notFound();
        needs('members');
        const body = org.repos
          .filter((r) => found.repos.has(r.name))
          .map((r) => teamRepository(base, org, r, found.repos.get(r.name)!));
        return { body, paginate: true };
      },
    ],
    [
      /^\/repos\/([^/]+)\/([^/]+)\/collaborators$/,
      (m, url) => {
        const repo = repoByName(m[1]!, m[2]!);
        if (!repo) throw notFound();
        needs('metadata');
        const affiliation = url.searchParams.get('affiliation') ?? 'all';
        const outside = new Set(org.outsideCollaborators.map((u) => u.login));
        const direct = repo.collaborators.filter(
          (c) => affiliation !== 'outside' || outside.has(c.login),
        );
        return {
          body: direct.map((c) => collaborator(base, userByLogin(c.login), c.permission)),
          paginate: true,
        };
      },
    ],
    [
      /^\/repos\/([^/]+)\/([^/]+)\/teams$/,
      (m) => {
        const repo = repoByName(m[1]!, m[2]!);
        if (!repo) throw notFound();
        needs('administration');
        const teams = org.teams.filter((t) => t.repos.has(repo.name));
        return {
          body: teams.map((t) => team(base, org, t, t.repos.get(repo.name))),
          paginate: true,
        };
      },
    ],
    ...governanceRoutes({
      org,
      base: () => base,
      permissions: () => permissions,
      repoByName,
      needs,
      fail: (status, message) => {
        throw new HttpError(status, { message, documentation_url: DOCS, status: String(status) });
      },
    }),
  ];

  const repoOr404 = (owner: string, name: string) => {
    const repo = repoByName(owner, name);
    if (!repo) throw notFound();
    return repo;
  };
  const pullOr404 = (repo: SimRepo, number: string) => {
    const pull = pulls.activity(repo).pulls.get(Number(number));
    if (!pull) throw notFound();
    return pull;
  };
  const invalid = (field: string, code = 'missing_field', resource = 'Issue') =>
    new HttpError(422, {
      message: 'Validation Failed',
      documentation_url: DOCS,
      status: '422',
      errors: [{ resource, field, code }],
    } as BasicError);
  const text = (
    body: Record<string, unknown>,
    field: string,
    required = true,
  ): string | undefined => {
    const value = body[field];
    if (value === undefined && !required) return undefined;
    if (typeof value !== 'string' || (required && value.length === 0)) throw invalid(field);
    return value;
  };

  /**
   * Routes the rules engine uses: reads and writes of pulls, issues, comments, labels, statuses
   * and check runs.
   */
  const activityRoutes: MethodRoute[] = [
    [
      'GET',
      new RegExp(`${R}/pulls$`),
      (m, url) => {
        const repo = repoOr404(m[1]!, m[2]!);
        const state = url.searchParams.get('state') ?? 'open';
        const list = [...pulls.activity(repo).pulls.values()]
          .filter((p) => state === 'all' || p.state === state)
          .sort((a, b) => b.number - a.number);
        return { body: list.map((p) => pulls.pullRequestSimple(base, repo, p)), paginate: true };
      },
    ],
    [
      'GET',
      new RegExp(`${R}/pulls/(\\d+)$`),
      (m) => {
        const repo = repoOr404(m[1]!, m[2]!);
        return { body: pulls.pullRequest(base, repo, pullOr404(repo, m[3]!)) };
      },
    ],
    // GET .../branches/{branch}/protection is one of the governance routes (governance.ts).
    [
      'GET',
      new RegExp(`${R}/issues/(\\d+)/comments$`),
      (m) => {
        const repo = repoOr404(m[1]!, m[2]!);
        const a = pulls.activity(repo);
        if (!a.issues.has(Number(m[3]))) throw notFound();
        return {
          body: a.comments
            .filter((c) => c.issueNumber === Number(m[3]))
            .map((c) => pulls.comment(base, repo, c)),
          paginate: true,
        };
      },
    ],
    [
      'POST',
      new RegExp(`${R}/issues/(\\d+)/comments$`),
      (m, _url, body) => {
        const repo = repoOr404(m[1]!, m[2]!);
        if (!pulls.activity(repo).issues.has(Number(m[3]))) throw notFound();
        const comment = pulls.addComment(repo, Number(m[3]), text(body, 'body')!);
        return { status: 201, body: pulls.comment(base, repo, comment) };
      },
    ],
    [
      'PATCH',
      new RegExp(`${R}/issues/comments/(\\d+)$`),
      (m, _url, body) => {
        const repo = repoOr404(m[1]!, m[2]!);
        const comment = pulls.activity(repo).comments.find((c) => c.id === Number(m[3]));
        if (!comment) throw notFound();
        comment.body = text(body, 'body')!;
        comment.updatedAt = new Date().toISOString();
        return { body: pulls.comment(base, repo, comment) };
      },
    ],
    [
      'POST',
      new RegExp(`${R}/issues/(\\d+)/labels$`),
      (m, _url, body) => {
        const repo = repoOr404(m[1]!, m[2]!);
        const issue = pulls.activity(repo).issues.get(Number(m[3]));
        if (!issue) throw notFound();
        const labels = body.labels;
        if (!Array.isArray(labels) || labels.some((l) => typeof l !== 'string' || l.length === 0)) {
          throw invalid('labels', 'invalid');
        }
        for (const label of labels as string[])
          if (!issue.labels.includes(label)) issue.labels.push(label);
        const pull = pulls.activity(repo).pulls.get(issue.number);
        if (pull) pull.labels = issue.labels;
        return { body: issue.labels.map((name) => pulls.label(base, repo, name)) };
      },
    ],
    [
      // GitHub lists pull requests among issues (each with `pull_request`), newest first.
      'GET',
      new RegExp(`${R}/issues$`),
      (m, url) => {
        const repo = repoOr404(m[1]!, m[2]!);
        // The simulator closes nothing: every issue is open.
        if ((url.searchParams.get('state') ?? 'open') === 'closed') return { body: [] };
        const labels = (url.searchParams.get('labels') ?? '').split(',').filter(Boolean);
        const list = [...pulls.activity(repo).issues.values()]
          .filter((i) => labels.every((l) => i.labels.includes(l)))
          .sort((a, b) => b.number - a.number);
        return { body: list.map((i) => pulls.issue(base, repo, i)), paginate: true };
      },
    ],
    [
      'POST',
      new RegExp(`${R}/issues$`),
      (m, _url, body) => {
        const repo = repoOr404(m[1]!, m[2]!);
        const labels = body.labels ?? [];
        if (!Array.isArray(labels) || labels.some((l) => typeof l !== 'string'))
          throw invalid('labels', 'invalid');
        const issue = pulls.createIssue(repo, {
          title: text(body, 'title')!,
          body: text(body, 'body', false) ?? null,
          labels: labels as string[],
        });
        return { status: 201, body: pulls.issue(base, repo, issue) };
      },
    ],
    [
      'POST',
      new RegExp(`${R}/statuses/([0-9a-f]{40})$`),
      (m, _url, body) => {
        const repo = repoOr404(m[1]!, m[2]!);
        const state = body.state;
        if (
          state !== 'error' &&
          state !== 'failure' &&
          state !== 'pending' &&
          state !== 'success'
        ) {
          throw invalid('state', 'invalid');
        }
        const description = text(body, 'description', false) ?? null;
        if (description !== null && description.length > 140)
          throw invalid('description', 'invalid');
        const status = pulls.addStatus(repo, m[3]!, {
          state,
          context: text(body, 'context', false) ?? 'default',
          description,
          targetUrl: text(body, 'target_url', false) ?? null,
        });
        return { status: 201, body: pulls.status(base, repo, status) };
      },
    ],
    [
      'GET',
      new RegExp(`${R}/commits/([^/]+)/statuses$`),
      (m) => {
        const repo = repoOr404(m[1]!, m[2]!);
        const commit = pulls.resolveRef(repo, decodeURIComponent(m[3]!));
        const list = [...(pulls.activity(repo).statuses.get(commit) ?? [])].reverse();
        return { body: list.map((s) => pulls.status(base, repo, s)), paginate: true };
      },
    ],
    [
      'GET',
      new RegExp(`${R}/commits/([^/]+)/status$`),
      (m) => {
        const repo = repoOr404(m[1]!, m[2]!);
        return {
          body: pulls.combined(base, repo, pulls.resolveRef(repo, decodeURIComponent(m[3]!))),
        };
      },
    ],
    ...checkRunRoutes({
      org,
      base: () => base,
      appId,
      appSlug,
      permissions: () => permissions,
      pulls,
      repoOr404,
      notFound,
      invalid: (field, code) => invalid(field, code, 'CheckRun'),
    }),
  ];

  /** `pull_request` deliveries for what the simulator makes happen, sent after the answer. */
  function deliverPullRequest(repo: SimRepo, pull: SimPull, action: string, before?: string): void {
    if (!webhook) return;
    const payload: Record<string, unknown> = {
      action,
      number: pull.number,
      pull_request: pulls.pullRequest(base, repo, pull),
      repository: minimalRepository(base, org, repo, false),
      organization: { login: org.login, id: org.id, node_id: `O_${org.id}` },
      installation: {
        id: installationId,
        node_id: `MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9u${installationId}`,
      },
      sender: { login: 'octocat', id: 9_000_002, type: 'User' },
      ...(before ? { before, after: pull.headSha } : {}),
    };
    const record = {
      event: 'pull_request',
      action,
      deliveryId: '',
      status: 'pending' as number | string,
    };
    deliveries.push(record);
    deliverWebhook(webhook, 'pull_request', payload).then(
      (r) => Object.assign(record, { deliveryId: r.deliveryId, status: r.status }),
      (error: unknown) => (record.status = `failed: ${String(error)}`),
    );
  }

  /**
   * The browser side of installing the App and of user authorization, and the calls an app makes
   * with a user token: GitHub serves the first two on github.com, the rest on the API host; the
   * simulator serves all on one host, as GitHub Enterprise Server does without `/api/v3`.
   */
  function webFlow(
    method: string,
    path: string,
    url: URL,
    req: IncomingMessage,
  ): ((res: ServerResponse) => Promise<void>) | undefined {
    const signedIn = url.searchParams.get('login') || installerLogin;
    const redirect = (res: ServerResponse, target: string, query: Record<string, string>) => {
      const to = new URL(target);
      for (const [k, v] of Object.entries(query)) to.searchParams.set(k, v);
      res.writeHead(302, { location: to.toString() });
      res.end();
      return Promise.resolve();
    };
    if (method === 'GET' && path === `/apps/${appSlug}/installations/new`) {
      return (res) => {
        if (!setupUrl) throw notFound();
        // "Request user authorization (OAuth) during installation": GitHub adds a code.
        return redirect(res, setupUrl, {
          installation_id: String(installationId),
          setup_action: 'install',
          code: users.issueCode(signedIn),
          ...(url.searchParams.get('state') ? { state: url.searchParams.get('state')! } : {}),
        });
      };
    }
    if (method === 'GET' && path === '/login/oauth/authorize') {
      return (res) => {
        if (url.searchParams.get('client_id') !== users.clientId) throw notFound();
        const target = url.searchParams.get('redirect_uri') || setupUrl;
        if (!target) throw notFound();
        return redirect(res, target, {
          code: users.issueCode(signedIn),
          ...(url.searchParams.get('state') ? { state: url.searchParams.get('state')! } : {}),
        });
      };
    }
    if (method === 'POST' && path === '/login/oauth/access_token') {
      return async (res) => {
        const params = parseOauthBody(await readBody(req), req.headers['content-type']);
        send(res, 200, users.exchange(params));
      };
    }
    if (method === 'GET' && path === '/user/installations') {
      return (res) => {
        const login = users.userOf(req.headers.authorization);
        const visible = canAccessInstallation(login) && !installationDeleted;
        const list = visible ? [currentInstallation()] : [];
        send(res, 200, { total_count: list.length, installations: list });
        return Promise.resolve();
      };
    }
    return undefined;
  }

  function rateLimitOverview({ core, graphql }: Budgets): RateLimitOverview {
    return {
      resources: {
        core: core.snapshot(),
        graphql: graphql.snapshot(),
        search: { limit: 30, remaining: 30, used: 0, reset: core.snapshot().reset },
      },
      rate: core.snapshot(),
    };
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', base);
    const method = req.method ?? 'GET';
    const path = url.pathname.replace(/\/+$/, '') || '/';

    if (path.startsWith('/_simulator/')) return control(method, path, req, res);

    stats.requests++;
    if (latencyMs > 0) await new Promise((r) => setTimeout(r, latencyMs));
    // The caller's installation's budgets, once its token is known.
    let caller: Budgets | undefined;
    try {
      const web = webFlow(method, path, url, req);
      if (web) return await web(res);
      // App-level calls authenticate with the app's JWT.
      const appMatch = /^\/app\/installations\/(\d+)(\/access_tokens)?$/.exec(path);
      if (appMatch || path === '/app') {
        const bearer = /^bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
        if (!bearer) throw new AuthFailure(401, 'A JSON web token could not be decoded');
        verifyAppJwt(bearer[1]!, appId, publicKeyPem);
        if (path === '/app') {
          return send(res, 200, { id: appId, slug: 'integrations-platform-sim', permissions });
        }
        const requested = Number(appMatch![1]);
        const extra = options.extraInstallations ?? 0;
        const known =
          requested === installationId ||
          (requested > installationId && requested <= installationId + extra);
        if (!known || installationDeleted) throw notFound();
        if (appMatch![2] && method === 'POST') {
          if (installationSuspendedAt) {
            throw new HttpError(403, {
              message: 'This installation has been suspended',
              documentation_url: DOCS,
              status: '403',
            });
          }
          const minted = tokens.issue(requested, permissions);
          stats.tokensIssued++;
          const body: InstallationTokenBody = {
            token: minted.token,
            expires_at: new Date(minted.expiresAt).toISOString(),
            permissions: minted.permissions,
            repository_selection: 'all',
          };
          return send(res, 201, body);
        }
        if (!appMatch![2] && method === 'GET') {
          return send(res, 200, { ...currentInstallation(), id: requested });
        }
        throw notFound();
      }

      const calling = tokens.authenticate(req.headers.authorization).installationId;
      caller = budgets.of(calling);
      const { core } = caller;
      if (path === '/graphql' && method === 'POST') return await graphqlCall(req, res, caller);
      // Free, as on GitHub.
      if (path === '/rate_limit' && method === 'GET') {
        return send(res, 200, rateLimitOverview(caller), core.headers());
      }
      let requestBody: Record<string, unknown> = {};
      if (method !== 'GET') {
        try {
          const parsed: unknown = JSON.parse((await readBody(req)) || '{}');
          if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
            throw new Error();
          requestBody = parsed as Record<string, unknown>;
        } catch {
          throw new HttpError(400, {
            message: 'Problems parsing JSON',
            documentation_url: DOCS,
            status: '400',
          });
        }
      }
      stats.restRequests++;
      const activity = activityRoutes.find(
        ([verb, pattern]) => verb === method && pattern.test(path),
      );
      const route: [RegExp, (m: RegExpExecArray, url: URL) => Answer] | undefined = activity
        ? [activity[1], (m, u) => activity[2](m, u, requestBody)]
        : method === 'GET'
          ? installationRoutes.find(([pattern]) => pattern.test(path))
          : undefined;
      if (!route) throw notFound();
      const routeKey = `${activity ? `${method} ` : ''}${route[0].source}`;
      stats.byRoute[routeKey] = (stats.byRoute[routeKey] ?? 0) + 1;
      const repoMatch = /^\/repos\/[^/]+\/([^/]+)/.exec(path);
      gate(repoMatch?.[1], method);
      const spend = () => {
        if (!core.trySpend(1)) {
          stats.rateLimited++;
          throw new HttpError(
            403,
            {
              message: `API rate limit exceeded for installation ID ${calling}.`,
              documentation_url:
                'https://docs.github.com/rest/overview/resources-in-the-rest-api#rate-limiting',
            },
            core.headers(),
          );
        }
        stats.budgetSpent++;
        stats.restBudgetSpent++;
      };
      // A refused write changes nothing; a read is priced after its answer, which may be a free 304.
      if (method !== 'GET') spend();
      const answer = route[1](route[0].exec(path)!, url);
      let body = answer.body;
      const headers: Record<string, string> = { ...(answer.headers ?? {}) };
      const listKey = typeof answer.paginate === 'string' ? answer.paginate : undefined;
      const list = listKey ? (body as Record<string, unknown>)[listKey] : body;
      if (answer.paginate && Array.isArray(list)) {
        const page = pageOf(url);
        Object.assign(headers, linkHeader(url, page, list.length));
        const slice = list.slice((page.page - 1) * page.perPage, page.page * page.perPage);
        body = listKey ? { ...(body as object), [listKey]: slice } : slice;
      }
      const json = JSON.stringify(body);
      const etag = `W/"${createHash('sha1').update(json).digest('hex')}"`;
      if (method === 'GET' && req.headers['if-none-match'] === etag) {
        // A conditional request answered 304 costs no rate limit.
        stats.notModified++;
        res.writeHead(304, { etag, ...core.headers(), ...headers });
        res.end();
        return;
      }
      if (method === 'GET') spend();
      return sendRaw(res, answer.status ?? 200, json, {
        ...(method === 'GET' ? { etag } : {}),
        ...core.headers(),
        ...headers,
      });
    } catch (error) {
      if (error instanceof AuthFailure) {
        return send(res, error.status, {
          message: error.message,
          documentation_url: DOCS,
          status: String(error.status),
        });
      }
      if (error instanceof HttpError) {
        return send(res, error.status, error.body, {
          ...caller?.core.headers(),
          ...error.headers,
        });
      }
      return send(res, 500, { message: `simulator error: ${(error as Error).message}` });
    }
  }

  /** Faults injected before the real work: 502s and secondary limits. */
  function gate(repoName: string | undefined, method = 'POST'): void {
    const injected =
      failRate > 0 && (!failMethods || failMethods.has(method)) && random() < failRate;
    if ((repoName && failingRepos.has(repoName)) || injected) {
      stats.injectedFailures++;
      throw new HttpError(502, { message: 'Server Error' });
    }
    if (secondary) {
      counted++;
      const tooMany =
        (secondary.maxConcurrent !== undefined && inFlight > secondary.maxConcurrent) ||
        (secondary.everyNth !== undefined && counted % secondary.everyNth === 0);
      if (tooMany) {
        stats.secondaryLimited++;
        throw new HttpError(
          secondary.status ?? 403,
          {
            message:
              'You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID.',
            documentation_url:
              'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits',
          },
          { 'retry-after': String(secondary.retryAfterSeconds ?? 1) },
        );
      }
    }
  }

  async function graphqlCall(
    req: IncomingMessage,
    res: ServerResponse,
    { graphql: graphqlBudget }: Budgets,
  ): Promise<void> {
    stats.graphqlRequests++;
    gate(undefined);
    const raw = await readBody(req);
    let request: Record<string, unknown>;
    try {
      request = JSON.parse(raw || '{}');
    } catch {
      return send(res, 400, { message: 'Problems parsing JSON', documentation_url: DOCS });
    }
    if (String(request.query ?? '').includes('pullRequests(')) stats.graphqlPullRequestQueries++;
    const before = graphqlBudget.snapshot().used;
    const result = await runGraphql(request, {
      org,
      base,
      permissions,
      budget: graphqlBudget,
      pulls,
    });
    const spent = graphqlBudget.snapshot().used - before;
    stats.graphqlPointsSpent += spent;
    stats.budgetSpent += spent;
    if (spent === 0 && JSON.stringify(result.body).includes('RATE_LIMITED')) stats.rateLimited++;
    return send(res, result.status, result.body, graphqlBudget.headers());
  }

  async function control(
    method: string,
    path: string,
    req: IncomingMessage,
    res: ServerResponse,
  ): Promise<void> {
    const body = method === 'GET' ? {} : JSON.parse((await readBody(req)) || '{}');
    if (path === '/_simulator/stats' && method === 'GET') return send(res, 200, stats);
    if (path === '/_simulator/stats/reset' && method === 'POST') {
      stats = emptyStats();
      return send(res, 204, null);
    }
    if (path === '/_simulator/permissions' && method === 'PUT') {
      permissions = body as AppPermissions;
      return send(res, 200, permissions);
    }
    const made = /^\/_simulator\/repos\/([^/]+)\/([^/]+)\/pulls(?:\/(\d+)(\/synchronize)?)?$/.exec(
      path,
    );
    if (made) {
      const repo = repoByName(made[1]!, made[2]!);
      if (!repo) return send(res, 404, { message: 'Not Found' });
      const lines = (v: unknown) =>
        Number.isInteger(v) && (v as number) >= 0 ? (v as number) : undefined;
      if (!made[3] && method === 'POST') {
        const additions = lines(body.additions ?? 0);
        const deletions = lines(body.deletions ?? 0);
        if (
          typeof body.title !== 'string' ||
          !body.title ||
          additions === undefined ||
          deletions === undefined
        ) {
          return send(res, 422, {
            message: 'expected {title, additions, deletions} with whole numbers',
          });
        }
        const labels = Array.isArray(body.labels)
          ? body.labels.filter((l: unknown) => typeof l === 'string')
          : [];
        const pull = pulls.openPull(repo, { title: body.title, additions, deletions, labels });
        send(res, 201, { number: pull.number, head: { sha: pull.headSha, ref: pull.headRef } });
        deliverPullRequest(repo, pull, 'opened');
        return;
      }
      const pull = made[3] ? pulls.activity(repo).pulls.get(Number(made[3])) : undefined;
      if (!pull) return send(res, 404, { message: 'Not Found' });
      if (made[4] && method === 'POST') {
        const before = pull.headSha;
        pulls.pushToPull(pull, {
          additions: lines(body.additions),
          deletions: lines(body.deletions),
        });
        send(res, 200, { number: pull.number, head: { sha: pull.headSha, ref: pull.headRef } });
        deliverPullRequest(repo, pull, 'synchronize', before);
        return;
      }
      if (!made[4] && method === 'GET') {
        const a = pulls.activity(repo);
        return send(res, 200, {
          pull: pulls.pullRequest(base, repo, pull),
          comments: a.comments
            .filter((c) => c.issueNumber === pull.number)
            .map((c) => pulls.comment(base, repo, c)),
          statuses: [...(a.statuses.get(pull.headSha) ?? [])]
            .reverse()
            .map((st) => pulls.status(base, repo, st)),
        });
      }
    }
    if (path === '/_simulator/deliveries' && method === 'GET')
      return send(res, 200, { deliveries });
    if (path === '/_simulator/webhook' && method === 'PUT') {
      webhook = { url: String(body.url), secret: String(body.secret) };
      return send(res, 204, null);
    }
    if (path === '/_simulator/fail-rate' && method === 'PUT') {
      failRate = Number(body.rate) || 0;
      failMethods = Array.isArray(body.methods) ? new Set(body.methods.map(String)) : undefined;
      return send(res, 204, null);
    }
    if (path === '/_simulator/app' && method === 'PUT') {
      if (typeof body.setupUrl === 'string') setupUrl = body.setupUrl;
      return send(res, 200, { setupUrl, appSlug, clientId: users.clientId });
    }
    if (path === '/_simulator/installation/suspend' && method === 'POST') {
      installationSuspendedAt = new Date().toISOString();
      return send(res, 204, null);
    }
    if (path === '/_simulator/installation' && method === 'DELETE') {
      installationDeleted = true;
      return send(res, 204, null);
    }
    if (path === '/_simulator/rate-limit/exhaust' && method === 'POST') {
      budgets.of(installationId).core.exhaust(Number(body.resetInMs ?? 2_000));
      return send(res, 204, null);
    }
    return send(res, 404, { message: 'Not Found' });
  }

  const server: Server = createServer((req, res) => {
    inFlight++;
    res.once('close', () => inFlight--);
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) send(res, 500, { message: String(error) });
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  base = `http://127.0.0.1:${port}`;

  return {
    url: base,
    org,
    appId,
    installationId,
    privateKeyPath,
    privateKeyPem,
    clientId: users.clientId,
    clientSecret: users.clientSecret,
    appSlug,
    installerLogin,
    setSetupUrl: (next) => void (setupUrl = next),
    suspendInstallation: () => void (installationSuspendedAt = new Date().toISOString()),
    deleteInstallation: () => void (installationDeleted = true),
    stats: () => structuredClone(stats),
    resetStats: () => void (stats = emptyStats()),
    setPermissions: (next) => void (permissions = { ...next }),
    exhaustRateLimit: (resetInMs) => budgets.of(installationId).core.exhaust(resetInMs),
    setFailRate: (rate, methods) => {
      failRate = rate;
      failMethods = methods ? new Set(methods) : undefined;
    },
    setLatency: (ms) => void (latencyMs = ms),
    setSecondary: (next) => void (secondary = next),
    setWebhookTarget: (url, secret) => void (webhook = { url, secret }),
    pulls,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

interface Page {
  page: number;
  perPage: number;
}

function pageOf(url: URL): Page {
  const page = Math.max(1, Number(url.searchParams.get('page') ?? 1) || 1);
  const perPage = Math.min(100, Math.max(1, Number(url.searchParams.get('per_page') ?? 30) || 30));
  return { page, perPage };
}

/** GitHub's `Link` header: next/last while there is more, prev/first after the first page. */
function linkHeader(url: URL, { page, perPage }: Page, total: number): Record<string, string> {
  const last = Math.max(1, Math.ceil(total / perPage));
  const at = (n: number) => {
    const next = new URL(url);
    next.searchParams.set('per_page', String(perPage));
    next.searchParams.set('page', String(n));
    return next.toString();
  };
  const links: string[] = [];
  if (page < last) links.push(`<${at(page + 1)}>; rel="next"`, `<${at(last)}>; rel="last"`);
  if (page > 1) links.push(`<${at(page - 1)}>; rel="prev"`, `<${at(1)}>; rel="first"`);
  return links.length ? { link: links.join(', ') } : {};
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let data = '';
    req.setEncoding('utf8');
    req.on('data', (chunk) => (data += chunk));
    req.on('end', () => resolve(data));
    req.on('error', reject);
  });
}

function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  if (status === 204) {
    res.writeHead(204, headers);
    res.end();
    return;
  }
  sendRaw(res, status, JSON.stringify(body), headers);
}

function sendRaw(
  res: ServerResponse,
  status: number,
  json: string,
  headers: Record<string, string>,
): void {
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'x-github-api-version-selected': '2022-11-28',
    'x-github-media-type': 'github.v3; format=json',
    ...headers,
  });
  res.end(json);
}
