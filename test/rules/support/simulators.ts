import {
  startGithubSimulator,
  type GithubSimulator,
} from '../../../tools/github-simulator/src/index.js';
import {
  startSlackSimulator,
  type SlackSimulator,
} from '../../../tools/slack-simulator/src/index.js';

export interface Simulators {
  github: GithubSimulator;
  slack: SlackSimulator;
  /** The environment the services need to reach both. */
  env: Record<string, string>;
  close(): Promise<void>;
}

/** The GitHub and Slack simulators, and the variables that point services at them. */
export async function startSimulators(repos = 4): Promise<Simulators> {
  const github = await startGithubSimulator({ repos, seed: 5 });
  const slack = await startSlackSimulator();
  return {
    github,
    slack,
    env: {
      GITHUB_API_URL: github.url,
      GITHUB_APP_ID: String(github.appId),
      GITHUB_APP_PRIVATE_KEY_PATH: github.privateKeyPath,
      SLACK_API_URL: slack.url,
      // Local simulators listen on loopback: allow private provider URLs (SSRF checks).
      PROVIDER_URL_ALLOW_PRIVATE_ADDRESSES: 'true',
      GITHUB_CONNECT_REQUIRES_INSTALL_FLOW: 'false',
    },
    async close() {
      await github.close();
      await slack.close();
    },
  };
}

/** Opens a pull request in the simulator (as a push to GitHub would) and returns it. */
export async function openPull(
  github: GithubSimulator,
  repo: string,
  body: { title: string; additions: number; deletions: number; labels?: string[] },
): Promise<{ number: number; head: { sha: string } }> {
  const response = await fetch(`${github.url}/_simulator/repos/${github.org.login}/${repo}/pulls`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (response.status !== 201) throw new Error(`simulator answered ${response.status}`);
  return (await response.json()) as { number: number; head: { sha: string } };
}

/** What the simulator holds about a pull request: the PR, its comments, its head's statuses. */
export async function pullState(github: GithubSimulator, repo: string, number: number) {
  const response = await fetch(
    `${github.url}/_simulator/repos/${github.org.login}/${repo}/pulls/${number}`,
  );
  return (await response.json()) as { pull: any; comments: any[]; statuses: any[] };
}
