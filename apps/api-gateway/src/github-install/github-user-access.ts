import { exchangeWebFlowCode, getWebFlowAuthorizationUrl } from '@octokit/oauth-methods';
import { Octokit as RestOctokit } from '@octokit/rest';
import { githubDefaults, plainJson } from '#libs/github/src/index.js';

const Octokit = RestOctokit.plugin(plainJson).defaults(githubDefaults());
type Octokit = InstanceType<typeof Octokit>;
import type { GithubInstallConfig } from './github-install.config.js';

/** GitHub refused the OAuth code (wrong, expired, used) or the App's client credentials. */
export class CodeRefused extends Error {
  override name = 'CodeRefused';
}

/** GitHub did not answer in a way that lets the flow go on. */
export class GithubUnreachable extends Error {
  override name = 'GithubUnreachable';
}

export interface AccessibleInstallation {
  id: string;
  accountLogin: string;
}

type Configured = GithubInstallConfig & {
  GITHUB_APP_SLUG: string;
  GITHUB_APP_CLIENT_ID: string;
  GITHUB_APP_CLIENT_SECRET: string;
};

/**
 * What the installing user can prove with their own GitHub user token: the App's OAuth web flow
 * (`@octokit/oauth-methods`, pointed at GITHUB_API_URL, from which it derives the OAuth host as
 * GitHub Enterprise does), then `GET /user/installations` with that token.
 */
export class GithubUserAccess {
  private readonly octokit: Octokit;

  constructor(private readonly config: Configured) {
    this.octokit = new Octokit({ baseUrl: config.GITHUB_API_URL.replace(/\/+$/, '') });
  }

  /** The page that installs the App; GitHub sends the browser back to the App's Setup URL. */
  installUrl(state: string): string {
    const url = new URL(
      `apps/${this.config.GITHUB_APP_SLUG}/installations/new`,
      `${this.config.GITHUB_WEB_URL.replace(/\/+$/, '')}/`,
    );
    url.searchParams.set('state', state);
    return url.toString();
  }

  /** User authorization alone, for a setup call that came without a code. */
  authorizeUrl(state: string): string {
    return getWebFlowAuthorizationUrl({
      clientType: 'github-app',
      clientId: this.config.GITHUB_APP_CLIENT_ID,
      state,
      request: this.octokit.request,
    }).url;
  }

  /** The installation, if the user behind `code` can access it. */
  async installationFor(
    code: string,
    installationId: string,
  ): Promise<AccessibleInstallation | undefined> {
    let token: string;
    try {
      const { authentication } = await exchangeWebFlowCode({
        clientType: 'github-app',
        clientId: this.config.GITHUB_APP_CLIENT_ID,
        clientSecret: this.config.GITHUB_APP_CLIENT_SECRET,
        code,
        request: this.octokit.request,
      });
      token = authentication.token;
    } catch (error) {
      if ((error as { status?: number }).status === 400) throw new CodeRefused();
      throw new GithubUnreachable((error as Error).message);
    }
    const user = new Octokit({
      auth: token,
      baseUrl: this.config.GITHUB_API_URL.replace(/\/+$/, ''),
    });
    let installations;
    try {
      installations = await user.paginate('GET /user/installations', { per_page: 100 });
    } catch (error) {
      throw new GithubUnreachable((error as Error).message);
    }
    const found = installations.find((i) => String(i.id) === installationId);
    if (!found) return undefined;
    const account = found.account as { login?: string; slug?: string } | null;
    return { id: String(found.id), accountLogin: account?.login ?? account?.slug ?? '' };
  }
}

export function isConfigured(config: GithubInstallConfig): config is Configured {
  return Boolean(
    config.GITHUB_APP_SLUG && config.GITHUB_APP_CLIENT_ID && config.GITHUB_APP_CLIENT_SECRET,
  );
}
