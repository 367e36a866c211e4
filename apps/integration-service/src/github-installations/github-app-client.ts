import { GithubOctokit } from '#libs/github/src/index.js';
import { createAppAuth } from '@octokit/auth-app';

/** What the GitHub App itself sees of an installation (`GET /app/installations/{id}`). */
export interface AppInstallation {
  id: number;
  accountLogin: string;
  suspendedAt: string | null;
}

/** GitHub did not answer, or answered something other than the installation or a 404. */
export class GithubAppUnavailable extends Error {
  override name = 'GithubAppUnavailable';
}

/**
 * The GitHub App acting as itself, with its JWT (RS256 from the App's private key), at the
 * configured base URL (api.github.com, an Enterprise host, or the simulator).
 */
export class GithubAppClient {
  private readonly octokit: GithubOctokit | undefined;

  constructor(config: {
    baseUrl: string;
    appId?: string | undefined;
    privateKey?: string | undefined;
    timeoutMs: number;
  }) {
    this.timeoutMs = config.timeoutMs;
    this.octokit =
      config.appId && config.privateKey
        ? new GithubOctokit({
            baseUrl: config.baseUrl.replace(/\/+$/, ''),
            authStrategy: createAppAuth,
            auth: { appId: config.appId, privateKey: config.privateKey },
          })
        : undefined;
  }

  private readonly timeoutMs: number;

  get configured(): boolean {
    return this.octokit !== undefined;
  }

  /** The installation as the App sees it; undefined when GitHub answers 404 (not installed). */
  async installation(installationId: string): Promise<AppInstallation | undefined> {
    if (!this.octokit) throw new GithubAppUnavailable('no GitHub App is configured');
    try {
      const { data } = await this.octokit.request('GET /app/installations/{installation_id}', {
        installation_id: Number(installationId),
        request: { signal: AbortSignal.timeout(this.timeoutMs) },
      });
      const account = data.account as { login?: string; slug?: string } | null;
      return {
        id: data.id,
        accountLogin: account?.login ?? account?.slug ?? '',
        suspendedAt: data.suspended_at ?? null,
      };
    } catch (error) {
      if ((error as { status?: number }).status === 404) return undefined;
      throw new GithubAppUnavailable(
        `GitHub did not confirm installation ${installationId}: ${(error as Error).message}`,
      );
    }
  }
}
