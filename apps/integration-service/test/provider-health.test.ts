import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { freePort } from '#libs/testing/src/index.js';
import {
  IntegrationSubjects as I,
  type IntegrationHealthResult,
} from '#libs/contracts/src/index.js';
import { errorOf, startHarness, value, type Harness } from './support/harness.js';
import { startProviderStandIn, type ProviderStandIn } from './support/provider-stand-in.js';

let h: Harness & { workspaceId: string };
let provider: ProviderStandIn;

beforeAll(async () => {
  provider = await startProviderStandIn();
  h = await startHarness({
    GITHUB_API_URL: `${provider.url}/github`,
    GITHUB_APP_ID: provider.appId,
    GITHUB_APP_PRIVATE_KEY: provider.privateKeyPem,
    SLACK_API_URL: `${provider.url}/slack`,
    VERCEL_API_URL: `${provider.url}/vercel`,
    // Nothing listens there: the provider is unreachable.
    SUPABASE_API_URL: `http://127.0.0.1:${await freePort()}`,
    PROVIDER_HEALTH_TIMEOUT_MS: '2000',
  });
});
afterAll(async () => {
  await h?.close();
  await provider?.close();
});

const health = (providerName: string, workspaceId?: string) =>
  h.send<IntegrationHealthResult>(
    I.checkHealth,
    { provider: providerName },
    workspaceId ? { workspaceId } : {},
  );

describe('provider health check', () => {
  test('GitHub: mints an installation token from the app key and makes one call', async () => {
    value(
      await h.send(I.connect, {
        provider: 'github',
        payload: { installationId: provider.installationId, accountLogin: 'acme' },
      }),
    );
    const result = value(await health('github'));
    expect(result).toMatchObject({
      provider: 'github',
      healthy: true,
      status: 'healthy',
      httpStatus: 200,
    });
    expect(result.detail).toMatch(/3 repositories/);
    expect(provider.calls).toEqual(
      expect.arrayContaining([
        `POST /github/app/installations/${provider.installationId}/access_tokens`,
        'GET /github/installation/repositories',
      ]),
    );
  });

  test('GitHub: an installation the app no longer has is unhealthy', async () => {
    const workspaceId = randomUUID();
    value(
      await h.send(
        I.connect,
        { provider: 'github', payload: { installationId: '999', accountLogin: 'other' } },
        { workspaceId },
      ),
    );
    provider.uninstall('999');
    expect(value(await health('github', workspaceId))).toMatchObject({
      healthy: false,
      status: 'unhealthy',
      httpStatus: 404,
    });
  });

  test('Slack: a good token is healthy, a refused one unhealthy', async () => {
    value(
      await h.send(I.connect, { provider: 'slack', payload: { botToken: provider.slackToken } }),
    );
    expect(value(await health('slack'))).toMatchObject({ healthy: true, status: 'healthy' });
    const workspaceId = randomUUID();
    value(
      await h.send(
        I.connect,
        { provider: 'slack', payload: { botToken: 'xoxb-revoked' } },
        { workspaceId },
      ),
    );
    const refused = value(await health('slack', workspaceId));
    expect(refused).toMatchObject({ healthy: false, status: 'unhealthy' });
    expect(refused.detail).toMatch(/invalid_auth/);
    expect(JSON.stringify(refused)).not.toContain('xoxb-revoked');
  });

  test('Vercel: a refused token is unhealthy with the provider status', async () => {
    value(await h.send(I.connect, { provider: 'vercel', payload: { token: 'wrong' } }));
    expect(value(await health('vercel'))).toMatchObject({ status: 'unhealthy', httpStatus: 403 });
  });

  test('a provider that does not answer is unreachable', async () => {
    value(
      await h.send(I.connect, {
        provider: 'supabase',
        payload: { projectRef: 'abcdefghijklmnopqrst', accessToken: 't' },
      }),
    );
    expect(value(await health('supabase'))).toMatchObject({
      healthy: false,
      status: 'unreachable',
    });
  });

  test('not connected or unknown provider: not found', async () => {
    expect(errorOf(await health('email')).code).toBe('not_connected');
    expect(errorOf(await health('jira')).code).toBe('unknown_provider');
    value(await h.send(I.disconnect, { provider: 'slack' }));
    expect(errorOf(await health('slack')).code).toBe('not_connected');
  });

  test('ECR cannot be checked without AWS credentials: unavailable, saying why', async () => {
    value(
      await h.send(I.create, {
        integration_type: 'ecr',
        profile_name: 'prod',
        credentials: { region: 'us-east-1', role_arn: 'arn:aws:iam::123456789012:role/x' },
      }),
    );
    const refused = errorOf(await health('ecr'));
    expect(refused).toMatchObject({ kind: 'unavailable', code: 'health_check_unavailable' });
    expect(refused.message).toMatch(/AWS credentials/);
  });
});
