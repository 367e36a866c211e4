import { readFileSync } from 'node:fs';
import { GithubOctokit } from '#libs/github/src/index.js';
import { createAppAuth } from '@octokit/auth-app';
import {
  findProvider,
  type IntegrationHealthResult,
  type IntegrationView,
} from '#libs/contracts/src/index.js';
import {
  describeFailure,
  type OutboundGuard,
  type OutboundResponse,
} from '../outbound/outbound-guard.js';
import { asUrl } from '../outbound/url-fields.js';

export interface HealthCheckConfig {
  /** Base URLs by variable name (`SLACK_API_URL`...), overriding the catalog's defaults. */
  baseUrls: Record<string, string | undefined>;
  githubAppId?: string;
  githubPrivateKey?: string;
  timeoutMs: number;
}

/** The provider cannot be checked from here at all (not a verdict about the credentials). */
export class HealthCheckUnavailable extends Error {}

interface Probe {
  url: string;
  /** The URL comes from the integration's own data, not from configuration. */
  userSupplied: boolean;
  init: { method?: string; headers?: Record<string, string>; body?: string };
  /** Some APIs answer 200 with `{ ok: false }` (Slack). */
  refused?: (body: unknown) => string | undefined;
}

/**
 * `:provider/health`: one cheap authenticated call to the provider with the stored credentials,
 * at a configurable base URL (the real API, an Enterprise host, or a local stand-in in tests).
 * GitHub: an installation token minted from the GitHub App's key, then one REST call.
 */
export class ProviderHealthChecker {
  constructor(
    private readonly config: HealthCheckConfig,
    private readonly outbound: OutboundGuard,
  ) {}

  async check(
    integration: IntegrationView,
    credentials: Record<string, unknown>,
  ): Promise<IntegrationHealthResult> {
    const started = performance.now();
    const result = (
      status: IntegrationHealthResult['status'],
      detail: string,
      httpStatus?: number,
    ): IntegrationHealthResult => ({
      integrationId: integration.id,
      provider: integration.provider,
      healthy: status === 'healthy',
      status,
      detail,
      ...(httpStatus === undefined ? {} : { httpStatus }),
      latencyMs: Math.round(performance.now() - started),
      checkedAt: new Date().toISOString(),
    });
    if (integration.provider === 'github') return this.checkGithub(integration, result);
    const probe = this.probeFor(integration, credentials);
    let response: OutboundResponse;
    try {
      response = await this.outbound.request(probe.url, {
        ...probe.init,
        timeoutMs: this.config.timeoutMs,
        userSupplied: probe.userSupplied,
      });
    } catch (error) {
      return result('unreachable', `${integration.provider} ${describeFailure(error)}`);
    }
    const body = response.body;
    if (response.status >= 300 && response.status < 400) {
      return result(
        'unhealthy',
        `${integration.provider} answered with a redirect, which is not followed`,
        response.status,
      );
    }
    if (response.status === 401 || response.status === 403) {
      return result(
        'unhealthy',
        `${integration.provider} refused the credentials`,
        response.status,
      );
    }
    if (response.status < 200 || response.status >= 300) {
      return result(
        'unhealthy',
        `${integration.provider} answered ${response.status}`,
        response.status,
      );
    }
    const refused = probe.refused?.(body);
    if (refused) return result('unhealthy', refused, response.status);
    return result('healthy', `${integration.provider} accepted the credentials`, response.status);
  }

  private baseUrl(provider: string): string {
    return this.target(provider).base;
  }

  /** The operator's base URL (configuration) first, then the user's, then the catalog's. */
  private target(provider: string, userUrl?: string): { base: string; userSupplied: boolean } {
    const definition = findProvider(provider)!;
    const configured = this.config.baseUrls[definition.api.baseUrlEnv];
    const base = configured ?? userUrl ?? definition.api.defaultBaseUrl;
    return {
      base: base.replace(/\/+$/, ''),
      userSupplied: configured === undefined && userUrl !== undefined,
    };
  }

  private probeFor(integration: IntegrationView, c: Record<string, unknown>): Probe {
    const bearer = (token: unknown) => ({ authorization: `Bearer ${String(token)}` });
    const basic = (user: unknown, password: unknown) => ({
      authorization: `Basic ${Buffer.from(`${String(user)}:${String(password)}`).toString('base64')}`,
    });
    const registryUrl = (value: unknown) => (typeof value === 'string' ? asUrl(value) : undefined);
    /** An operator-configured API: trusted like the rest of the configuration. */
    const api = (provider: string, path: string) => ({
      url: `${this.baseUrl(provider)}${path}`,
      userSupplied: false,
    });
    /** A registry at the user's URL unless an operator configured one. */
    const registry = (provider: string, userUrl: unknown) => {
      const { base, userSupplied } = this.target(provider, registryUrl(userUrl));
      return { url: `${base}/v2/`, userSupplied };
    };
    switch (integration.provider) {
      case 'slack':
        return {
          ...api('slack', '/auth.test'),
          init: { method: 'POST', headers: bearer(c.botToken) },
          refused: (body) => {
            const b = body as { ok?: boolean; error?: string } | undefined;
            return b?.ok === true
              ? undefined
              : `slack refused the token (${b?.error ?? 'no reason'})`;
          },
        };
      case 'vercel':
        return { ...api('vercel', '/v2/user'), init: { headers: bearer(c.token) } };
      case 'supabase':
        return {
          ...api(
            'supabase',
            `/v1/projects/${encodeURIComponent(String(integration.config.projectRef))}`,
          ),
          init: { headers: bearer(c.accessToken) },
        };
      case 'email':
        return { ...api('email', '/v3/scopes'), init: { headers: bearer(c.apiKey) } };
      case 'docker-hub':
        return {
          ...api('docker-hub', '/v2/users/login'),
          init: {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ username: c.username, password: c.access_token }),
          },
        };
      case 'acr':
      case 'artifactory':
      case 'quay':
        // The Docker Registry v2 API's version check: 200 with valid credentials, 401 without.
        return {
          ...registry(integration.provider, c.registry_base_url),
          init: { headers: basic(c.username, c.password) },
        };
      case 'gcr':
        return {
          ...registry('gcr', c.registry_base_url),
          init: { headers: basic('_json_key', c.service_account_key) },
        };
      default:
        throw new HealthCheckUnavailable(
          `a health check for ${integration.provider} needs AWS credentials to assume the role; none are configured`,
        );
    }
  }

  private async checkGithub(
    integration: IntegrationView,
    result: (
      s: IntegrationHealthResult['status'],
      d: string,
      h?: number,
    ) => IntegrationHealthResult,
  ): Promise<IntegrationHealthResult> {
    const { githubAppId, githubPrivateKey } = this.config;
    if (!githubAppId || !githubPrivateKey) {
      throw new HealthCheckUnavailable(
        'the GitHub App is not configured (GITHUB_APP_ID and GITHUB_APP_PRIVATE_KEY or GITHUB_APP_PRIVATE_KEY_PATH)',
      );
    }
    const octokit = new GithubOctokit({
      baseUrl: this.baseUrl('github'),
      authStrategy: createAppAuth,
      auth: {
        appId: githubAppId,
        privateKey: githubPrivateKey,
        installationId: Number(integration.config.installationId),
      },
      request: { signal: AbortSignal.timeout(this.config.timeoutMs) },
    });
    try {
      const response = await octokit.request('GET /installation/repositories', { per_page: 1 });
      return result(
        'healthy',
        `installation ${String(integration.config.installationId)} can read ${response.data.total_count} repositories`,
        response.status,
      );
    } catch (error) {
      const status = (error as { status?: number }).status;
      if (typeof status === 'number' && status > 0) {
        return result('unhealthy', `GitHub refused the installation (HTTP ${status})`, status);
      }
      return result('unreachable', `GitHub ${describeFailure(error)}`);
    }
  }
}

export function readGithubPrivateKey(config: {
  GITHUB_APP_PRIVATE_KEY?: string | undefined;
  GITHUB_APP_PRIVATE_KEY_PATH?: string | undefined;
}): string | undefined {
  if (config.GITHUB_APP_PRIVATE_KEY) return config.GITHUB_APP_PRIVATE_KEY.replace(/\\n/g, '\n');
  if (config.GITHUB_APP_PRIVATE_KEY_PATH)
    return readFileSync(config.GITHUB_APP_PRIVATE_KEY_PATH, 'utf8');
  return undefined;
}
