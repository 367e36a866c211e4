import {
  githubNotModified,
  githubRateLimitRemaining,
  githubRequests,
} from '#libs/observability/src/metrics/scanner.js';
import type { ScannerOctokit } from './github-app.js';

/** Path segments that follow these name one thing (an org, a repository, a user...). */
const NAMED_AFTER = new Set([
  'orgs',
  'users',
  'teams',
  'members',
  'collaborators',
  'branches',
  'installations',
  'hooks',
  'runs',
]);

/**
 * The route template of a GitHub request, for a bounded label: Octokit keeps `{owner}`-style
 * templates when the caller used them; paths written out (`GET /repos/acme/api`) are folded back
 * (`/repos/{owner}/{repo}`), and other names and numbers become placeholders.
 */
export function githubRoute(url: string): string {
  const path = url.replace(/^https?:\/\/[^/]+/, '').split('?')[0]!;
  const segments = path.split('/');
  const out: string[] = [];
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i]!;
    const previous = segments[i - 1];
    if (segment.startsWith('{') || segment === '') out.push(segment);
    else if (previous === 'repos' && i === 2) {
      out.push('{owner}', '{repo}');
      i++;
    } else if (/^\d+$/.test(segment) || (previous && NAMED_AFTER.has(previous))) out.push('{name}');
    else out.push(segment);
  }
  return out.join('/') || '/';
}

interface RequestOptions {
  method?: string;
  url?: string;
}

/**
 * Counts every request an installation's client makes (each attempt, as GitHub counts them) by
 * route and status, 304s apart, and keeps the rate-limit points GitHub says are left.
 */
export function measureGithubCalls(octokit: ScannerOctokit, installationId: string): void {
  const route = (options: RequestOptions) =>
    `${options.method ?? 'GET'} ${githubRoute(options.url ?? '')}`;
  const remaining = (headers: Record<string, unknown> | undefined) => {
    const left = Number(headers?.['x-ratelimit-remaining']);
    if (!Number.isFinite(left)) return;
    const resource = String(headers?.['x-ratelimit-resource'] ?? 'core');
    githubRateLimitRemaining.set({ installation: installationId, resource }, left);
  };
  octokit.hook.after('request', (response, options) => {
    githubRequests.inc({ route: route(options), status: String(response.status) });
    remaining(response.headers as Record<string, unknown>);
  });
  octokit.hook.error('request', (error, options) => {
    const failure = error as {
      status?: number;
      response?: { headers?: Record<string, unknown> };
    };
    const status = failure.status ?? 0;
    githubRequests.inc({ route: route(options), status: status ? String(status) : 'error' });
    if (status === 304) githubNotModified.inc({ route: route(options) });
    remaining(failure.response?.headers);
    throw error;
  });
}
