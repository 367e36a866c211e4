import { Inject, Injectable } from '@nestjs/common';
import { readFileSync } from 'node:fs';
import { createAppAuth } from '@octokit/auth-app';
import { throttling, type ThrottlingOptions } from '@octokit/plugin-throttling';
import { Octokit } from '@octokit/rest';
import type { Logger } from 'pino';
import { LOGGER, SERVICE_CONFIG } from '#libs/service-kit/src/index.js';
import type { GithubConfig } from './github.config.js';
import { measureGithubCalls } from './github-metrics.js';
import { githubDefaults, plainJson } from '#libs/github/src/index.js';
import { ConcurrencyGroup, RetryLimiter } from './throttle-limiters.js';

/**
 * Octokit with pagination (built into @octokit/rest), plain JSON parsing and calls over node:http
 * (libs/github), and throttling, which also retries.
 */
export const ScannerOctokit = Octokit.plugin(plainJson, throttling).defaults(githubDefaults());
export type ScannerOctokit = InstanceType<typeof ScannerOctokit>;

export class GithubNotConfiguredError extends Error {
  constructor() {
    super(
      'no GitHub App is configured: set GITHUB_APP_ID and GITHUB_APP_PRIVATE_KEY_PATH (or GITHUB_APP_PRIVATE_KEY)',
    );
    this.name = 'GithubNotConfiguredError';
  }
}

/** What an installation's client reports while it waits for GitHub's limits. */
export interface LimitListener {
  /** The primary budget ran out; requests resume at `resetAt`. */
  onRateLimited?(resetAt: Date): void;
  onSecondaryLimited?(retryAfterSeconds: number): void;
}

/**
 * The GitHub App: an app JWT (RS256 from the private key) buys installation tokens, which
 * `@octokit/auth-app` caches and renews; every call then carries `Authorization: token ...`.
 */
@Injectable()
export class GithubApp {
  private readonly privateKey: string | undefined;

  constructor(
    @Inject(SERVICE_CONFIG) private readonly config: GithubConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.privateKey = config.GITHUB_APP_PRIVATE_KEY
      ? config.GITHUB_APP_PRIVATE_KEY.replace(/\\n/g, '\n')
      : config.GITHUB_APP_PRIVATE_KEY_PATH
        ? readFileSync(config.GITHUB_APP_PRIVATE_KEY_PATH, 'utf8')
        : undefined;
  }

  get configured(): boolean {
    return Boolean(this.config.GITHUB_APP_ID && this.privateKey);
  }

  get baseUrl(): string {
    return this.config.GITHUB_API_URL.replace(/\/+$/, '');
  }

  /** A client acting as the installation, with its own concurrency and limit listeners. */
  forInstallation(installationId: string, listener: LimitListener = {}): ScannerOctokit {
    if (!this.configured) throw new GithubNotConfiguredError();
    const log = this.logger.child({ installationId });
    const octokit = new ScannerOctokit({
      baseUrl: this.baseUrl,
      authStrategy: createAppAuth,
      auth: {
        appId: Number(this.config.GITHUB_APP_ID),
        privateKey: this.privateKey!,
        installationId: Number(installationId),
      },
      log: quietLog(log),
      throttle: {
        id: `installation-${installationId}`,
        // Octokit's defaults allow 10 reads at once and one GraphQL query per second (it treats
        // GraphQL like writes); reads of 100 repositories at a time need neither brake.
        ...this.limits(this.config.GITHUB_CONCURRENCY, this.config.GITHUB_RETRIES),
        onRateLimit: (retryAfter: number) => {
          listener.onRateLimited?.(new Date(Date.now() + retryAfter * 1000));
          // Wait for the reset however long it is: a scan skips nothing.
          return true;
        },
        onSecondaryRateLimit: (
          retryAfter: number,
          _options: unknown,
          _o: unknown,
          count: number,
        ) => {
          listener.onSecondaryLimited?.(retryAfter);
          return count < 10;
        },
      } as ThrottlingOptions,
    });
    measureGithubCalls(octokit, installationId);
    return octokit;
  }

  /** A client acting as the app itself (JWT), for installation metadata. */
  asApp(): ScannerOctokit {
    if (!this.configured) throw new GithubNotConfiguredError();
    return new ScannerOctokit({
      baseUrl: this.baseUrl,
      authStrategy: createAppAuth,
      auth: { appId: Number(this.config.GITHUB_APP_ID), privateKey: this.privateKey! },
      log: quietLog(this.logger),
      throttle: {
        id: 'app',
        ...this.limits(10, 1),
        onRateLimit: () => false,
        onSecondaryRateLimit: () => false,
      } as ThrottlingOptions,
    });
  }

  /**
   * The throttling plugin's limiters and retries (see throttle-limiters.ts), which it takes in
   * place of its Bottleneck ones though its types do not say so.
   */
  private limits(concurrency: number, retries: number): Partial<ThrottlingOptions> {
    return {
      global: new ConcurrencyGroup(concurrency),
      write: new ConcurrencyGroup(2),
      retryLimiter: new RetryLimiter({ retries, baseMs: this.config.GITHUB_RETRY_BASE_MS }),
    } as unknown as Partial<ThrottlingOptions>;
  }
}

/**
 * Octokit logs every non-2xx answer, 304s and expected 404s included; failures that matter
 * surface as errors, so its own lines go to debug.
 */
function quietLog(log: Logger) {
  return {
    debug: () => undefined,
    info: () => undefined,
    warn: (message: string) => log.debug({ octokit: message }, 'octokit warning'),
    error: (message: string) => log.debug({ octokit: message }, 'octokit error'),
  };
}
