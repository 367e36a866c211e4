import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';

export interface GithubSandbox {
  env: Record<string, string>;
  org: string;
  installationId: string;
  url: string;
  process: ChildProcess;
}

const SIMULATOR = 'dist/tools/github-simulator/src/main.js';

/**
 * With no GitHub App configured, the local GitHub simulator stands in for api.github.com with a
 * demo org, so a new user can connect GitHub and scan something at once: with the bare
 * `{installationId, accountLogin}` body (GITHUB_CONNECT_REQUIRES_INSTALL_FLOW=false here), or
 * through the install flow, whose Setup URL is the gateway's `setupUrl`.
 */
export async function startGithubSandbox(
  setupUrl: string,
  repos = 60,
  /** Where the simulator sends the webhooks of what it makes happen (pull requests it opens). */
  webhook?: { url: string; secret: string },
): Promise<GithubSandbox | undefined> {
  if (!existsSync(SIMULATOR)) return undefined;
  const args = ['--repos', String(repos), '--port', '0', '--setup-url', setupUrl];
  if (webhook) args.push('--webhook-url', webhook.url, '--webhook-secret', webhook.secret);
  const child = spawn(process.execPath, [SIMULATOR, ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const firstLine = await new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`GitHub simulator exited with ${code}`)));
  });
  const info = JSON.parse(firstLine) as {
    url: string;
    org: string;
    appId: string | number;
    privateKeyPath: string;
    installationId: string | number;
    appSlug: string;
    clientId: string;
    clientSecret: string;
  };
  return {
    org: info.org,
    url: info.url,
    installationId: String(info.installationId),
    process: child,
    env: {
      GITHUB_API_URL: info.url,
      GITHUB_APP_ID: String(info.appId),
      GITHUB_APP_PRIVATE_KEY_PATH: info.privateKeyPath,
      GITHUB_WEB_URL: info.url,
      GITHUB_APP_SLUG: info.appSlug,
      GITHUB_APP_CLIENT_ID: info.clientId,
      GITHUB_APP_CLIENT_SECRET: info.clientSecret,
      GITHUB_CONNECT_REQUIRES_INSTALL_FLOW: 'false',
      ...(webhook ? { GITHUB_WEBHOOK_SECRET: webhook.secret } : {}),
    },
  };
}
