import { Octokit } from '@octokit/core';
import { nodeHttpFetch } from './node-http-fetch.js';
import { plainJson } from './plain-json.js';

/**
 * Octokit as the services here call GitHub: answers read with `JSON.parse` (`plainJson`), calls
 * made over node:http (`nodeHttpFetch`). Services add their own plugins on top.
 */
export const GithubOctokit = Octokit.plugin(plainJson).defaults(githubDefaults());
export type GithubOctokit = InstanceType<typeof GithubOctokit>;

/** The same defaults for an Octokit built on another base (`@octokit/rest`'s), with `plainJson` among its plugins. */
export function githubDefaults() {
  return { request: { fetch: nodeHttpFetch } };
}
