import { Octokit } from '@octokit/core';
import { createAppAuth } from '@octokit/auth-app';
import type { GithubSimulator } from '../../../tools/github-simulator/src/index.js';

/**
 * The simulator's GitHub App as its installation, the way a CI app reports on a commit (commit
 * statuses, check runs) or a person opens an issue: through GitHub's REST API, with a token.
 */
export function appClient(github: GithubSimulator): Octokit {
  return new Octokit({
    baseUrl: github.url,
    authStrategy: createAppAuth,
    auth: {
      appId: github.appId,
      privateKey: github.privateKeyPem,
      installationId: github.installationId,
    },
  });
}
