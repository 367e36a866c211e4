import { expect } from '@jest/globals';
import type { GithubSimulator } from '../../../tools/github-simulator/src/index.js';
import { readResponse, type HttpResponse } from '../../support/http.js';
import { startStack, type Stack } from '../../support/stack.js';
import { client } from '../../support/gateway-api.js';

/**
 * The three services against a GitHub simulator whose App has an install flow: the gateway's
 * Setup URL is registered with the simulator once the gateway has a port.
 */
export async function startGithubStack(
  sim: GithubSimulator,
  env: Record<string, string> = {},
): Promise<Stack> {
  const stack = await startStack({
    GITHUB_API_URL: sim.url,
    GITHUB_WEB_URL: sim.url,
    GITHUB_APP_ID: String(sim.appId),
    GITHUB_APP_PRIVATE_KEY_PATH: sim.privateKeyPath,
    GITHUB_APP_SLUG: sim.appSlug,
    GITHUB_APP_CLIENT_ID: sim.clientId,
    GITHUB_APP_CLIENT_SECRET: sim.clientSecret,
    GITHUB_CONNECT_REQUIRES_INSTALL_FLOW: 'true',
    GITHUB_RETRY_BASE_MS: '20',
    ...env,
  });
  sim.setSetupUrl(`${stack.gateway.url}/api/integrations/github/setup`);
  return stack;
}

/**
 * What a browser does: the member asks for the install URL, opens it on GitHub signed in as
 * `login` (the simulator's installer by default), and GitHub redirects to the Setup URL. Answers
 * that Setup URL, with its installation id, state and code, not yet followed.
 */
export async function installAs(stack: Stack, token: string, login?: string): Promise<string> {
  const issued = await client(stack.gateway.url)('POST', '/api/integrations/github/install', {
    token,
  });
  expect(issued.status).toBe(201);
  const installUrl = new URL(issued.body.installUrl);
  if (login) installUrl.searchParams.set('login', login);
  const onGithub = await fetch(installUrl, { redirect: 'manual' });
  expect(onGithub.status).toBe(302);
  return onGithub.headers.get('location')!;
}

/** The browser arriving at the Setup URL (no API key: the state is its proof). */
export async function open(url: string): Promise<HttpResponse> {
  return readResponse(await fetch(url, { redirect: 'manual' }));
}
