import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuthFailure, generateAppKeys, publicKeyOf, TokenIssuer, verifyAppJwt } from './auth.js';
import { governanceRoutes } from './governance.js';
import { loadGithubSchema, runGraphql } from './graphql.js';
import { generateOrg, seededRandom, type SimOrg, type SimRepo } from './org.js';
import { RateBudget } from './rate-limit.js';
import {
  collaborator,
  installation,
  minimalRepository,
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
  /** An existing PEM to use as the app's key; otherwise a fresh key is written to a temp file. */
  privateKeyPath?: string;
  permissions?: AppPermissions;
  latencyMs?: number;
  /** Fraction of API requests answered with 502. */
  failRate?: number;
  /** Repositories whose every REST call answers 502 (a repo that keeps failing). */
  failingRepos?: string[];
  /** Primary limit per window for REST (`core`) and GraphQL points; GitHub's rule by default. */
  rateLimit?: number;
  graphqlRateLimit?: number;
  rateLimitWindowMs?: number;
  secondary?: SecondaryLimitOptions;
  tokenTtlMs?: number;
}

export interface SimulatorStats {
  requests: number;
  restRequests: number;
  graphqlRequests: number;
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
  stats(): SimulatorStats;
  resetStats(): void;
  setPermissions(permissions: AppPermissions): void;
  /** Uses up the REST budget now; it refills `resetInMs` from now. */
  exhaustRateLimit(resetInMs: number): void;
  setFailRate(rate: number): void;
  setLatency(ms: number): void;
  setSecondary(options: SecondaryLimitOptions | undefined): void;
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

interface Answer {
  status?: number;
  body: unknown;
  headers?: Record<string, string>;
  /** Paginated list: slice by `page`/`per_page` and send `Link`. */
  paginate?: boolean;
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
  const core = new RateBudget('core', options.rateLimit ?? installationLimit, windowMs);
  const graphqlBudget = new RateBudget(
    'graphql',
    options.graphqlRateLimit ?? installationLimit,
    windowMs,
  );
  const tokens = new TokenIssuer(options.tokenTtlMs ?? 3_600_000);
  let inFlight = 0;
  let counted = 0;

  const emptyStats = (): SimulatorStats => ({
    requests: 0,
    restRequests: 0,
    graphqlRequests: 0,
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
    [/^\/rate_limit$/, () => ({ body: rateLimitOverview() })],
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

  function rateLimitOverview(): RateLimitOverview {
    return {
      resources: {
        core: core.snapshot(),
        graphql: graphqlBudget.snapshot(),
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
    try {
      // App-level calls authenticate with the app's JWT.
      const appMatch = /^\/app\/installations\/(\d+)(\/access_tokens)?$/.exec(path);
      if (appMatch || path === '/app') {
        const bearer = /^bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
        if (!bearer) throw new AuthFailure(401, 'A JSON web token could not be decoded');
        verifyAppJwt(bearer[1]!, appId, publicKeyPem);
        if (path === '/app') {
          return send(res, 200, { id: appId, slug: 'integrations-platform-sim', permissions });
        }
        if (Number(appMatch![1]) !== installationId) throw notFound();
        if (appMatch![2] && method === 'POST') {
          const minted = tokens.issue(installationId, permissions);
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
          return send(res, 200, installation(base, org, installationId, appId, permissions));
        }
        throw notFound();
      }

      tokens.authenticate(req.headers.authorization);
      if (path === '/graphql' && method === 'POST') return await graphqlCall(req, res);
      if (method !== 'GET') throw notFound();
      stats.restRequests++;
      const route = installationRoutes.find(([pattern]) => pattern.test(path));
      if (!route) throw notFound();
      const routeKey = route[0].source;
      stats.byRoute[routeKey] = (stats.byRoute[routeKey] ?? 0) + 1;
      const repoMatch = /^\/repos\/[^/]+\/([^/]+)/.exec(path);
      const free = path === '/rate_limit';
      if (!free) gate(repoMatch?.[1]);
      const answer = route[1](route[0].exec(path)!, url);
      let body = answer.body;
      const headers: Record<string, string> = { ...(answer.headers ?? {}) };
      if (answer.paginate && Array.isArray(body)) {
        const page = pageOf(url);
        Object.assign(headers, linkHeader(url, page, body.length));
        body = body.slice((page.page - 1) * page.perPage, page.page * page.perPage);
      }
      const json = JSON.stringify(body);
      const etag = `W/"${createHash('sha1').update(json).digest('hex')}"`;
      if (!free && req.headers['if-none-match'] === etag) {
        // A conditional request answered 304 costs no rate limit.
        stats.notModified++;
        res.writeHead(304, { etag, ...core.headers(), ...headers });
        res.end();
        return;
      }
      if (!free) {
        if (!core.trySpend(1)) {
          stats.rateLimited++;
          throw new HttpError(
            403,
            {
              message: `API rate limit exceeded for installation ID ${installationId}.`,
              documentation_url:
                'https://docs.github.com/rest/overview/resources-in-the-rest-api#rate-limiting',
            },
            core.headers(),
          );
        }
        stats.budgetSpent++;
        stats.restBudgetSpent++;
      }
      return sendRaw(res, 200, json, { etag, ...core.headers(), ...headers });
    } catch (error) {
      if (error instanceof AuthFailure) {
        return send(res, error.status, {
          message: error.message,
          documentation_url: DOCS,
          status: String(error.status),
        });
      }
      if (error instanceof HttpError) {
        return send(res, error.status, error.body, { ...core.headers(), ...error.headers });
      }
      return send(res, 500, { message: `simulator error: ${(error as Error).message}` });
    }
  }

  /** Faults injected before the real work: 502s and secondary limits. */
  function gate(repoName: string | undefined): void {
    if ((repoName && failingRepos.has(repoName)) || (failRate > 0 && random() < failRate)) {
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

  async function graphqlCall(req: IncomingMessage, res: ServerResponse): Promise<void> {
    stats.graphqlRequests++;
    gate(undefined);
    const raw = await readBody(req);
    let request: Record<string, unknown>;
    try {
      request = JSON.parse(raw || '{}');
    } catch {
      return send(res, 400, { message: 'Problems parsing JSON', documentation_url: DOCS });
    }
    const before = graphqlBudget.snapshot().used;
    const result = await runGraphql(request, { org, base, permissions, budget: graphqlBudget });
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
    if (path === '/_simulator/rate-limit/exhaust' && method === 'POST') {
      core.exhaust(Number(body.resetInMs ?? 2_000));
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
    stats: () => structuredClone(stats),
    resetStats: () => void (stats = emptyStats()),
    setPermissions: (next) => void (permissions = { ...next }),
    exhaustRateLimit: (resetInMs) => core.exhaust(resetInMs),
    setFailRate: (rate) => void (failRate = rate),
    setLatency: (ms) => void (latencyMs = ms),
    setSecondary: (next) => void (secondary = next),
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
