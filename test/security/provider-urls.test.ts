import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import { startService, type RunningService } from '#libs/service-kit/src/index.js';
import { integrationService } from '../../apps/integration-service/src/service.js';
import { client, createTeam } from '../support/gateway-api.js';
import { createBody, restClient } from '../support/rest-api.js';
import { startStack, type Stack } from '../support/stack.js';

const RAW_SOCKET_WORDS = /other side closed|ECONN|EHOST|socket|fetch failed|getaddrinfo/i;

/** An Artifactory connect body whose registry is `url`. */
const artifactory = (url: string) => ({
  registry_base_url: url,
  username: 'ci',
  password: 'registry-password',
});

/**
 * A registry a user names is called from inside the platform: a URL pointing at the platform's
 * own network (the database port, the cloud metadata service, loopback in any spelling) would
 * turn `:provider/health`, which any role may call, into a port scanner.
 */
describe('provider URLs cannot reach the internal network', () => {
  let stack: Stack;
  let api: ReturnType<typeof client>;

  beforeAll(async () => {
    stack = await startStack();
    api = client(stack.gateway.url);
  });
  afterAll(async () => {
    await stack?.close();
  });

  test.each([
    ['the database port over http', 'http://127.0.0.1:5432/', /https/],
    ['the database port', 'https://127.0.0.1:5432/', /loopback/],
    ['the cloud metadata service', 'https://169.254.169.254/latest/meta-data/', /link-local/],
    ['a name resolving to loopback', 'https://localhost:5432/', /loopback/],
    ['IPv6 loopback', 'https://[::1]:5432/', /loopback/],
    ['IPv4-mapped IPv6 loopback', 'https://[::ffff:127.0.0.1]:5432/', /loopback/],
    ['loopback as one decimal number', 'https://2130706433:5432/', /loopback/],
    ['loopback in octal', 'https://0177.0.0.1:5432/', /loopback/],
    ['a private network', 'https://10.0.0.5/', /private/],
    ['a unique-local IPv6 address (AWS metadata)', 'https://[fd00:ec2::254]/', /unique-local/],
    ['plain http to a public name', 'http://registry.example.com/', /https/],
  ])('saving %s is refused with 400 naming the field', async (_what, url, reason) => {
    const team = await createTeam(stack, `ssrf-${Math.random().toString(36).slice(2, 8)}`);
    const saved = await api('POST', '/api/integrations/artifactory/connect', {
      token: team.admin,
      body: artifactory(url),
    });
    expect(saved.status).toBe(400);
    expect(saved.body.error.details).toEqual([
      { field: 'registry_base_url', message: expect.stringMatching(reason) },
    ]);
    const listed = await api('GET', '/api/integrations', { token: team.viewer });
    expect(listed.body.integrations).toEqual([]);
  });

  test('the REST API refuses the same URL, pointing at the credential field', async () => {
    const team = await createTeam(stack, 'ssrf-rest');
    const rest = restClient(stack.gateway.url);
    const created = await rest('POST', `/rest/orgs/${team.workspaceId}/integrations`, {
      token: team.admin,
      body: createBody('metadata', 'artifactory', artifactory('https://169.254.169.254/')),
    });
    expect(created.status).toBe(400);
    expect(created.body.errors[0]).toMatchObject({
      source: { pointer: '/data/attributes/credentials/registry_base_url' },
      detail: expect.stringMatching(/link-local/),
    });
  });
});

/**
 * With the operator's setting an on-premise registry on a private address works; without it
 * (withdrawn, or DNS answering something else than at save time) the call is refused again at
 * call time, and no answer ever carries a socket's own words.
 */
describe('at call time, with and without the operator setting', () => {
  let stack: Stack;
  let api: ReturnType<typeof client>;
  let registry: Server;
  let registryUrl: string;
  const seen: string[] = [];
  let strict: RunningService | undefined;

  beforeAll(async () => {
    // An on-premise registry: the Docker Registry v2 version check, and one path that redirects.
    registry = createServer((req, res) => {
      seen.push(req.url ?? '');
      if (req.url?.startsWith('/moved/')) {
        res.writeHead(302, { location: `http://127.0.0.1:${port()}/stolen` });
        return res.end();
      }
      const ok =
        req.headers.authorization ===
        `Basic ${Buffer.from('ci:registry-password').toString('base64')}`;
      res.writeHead(ok ? 200 : 401, { 'content-type': 'application/json' });
      res.end('{}');
    });
    await new Promise<void>((r) => registry.listen(0, '127.0.0.1', r));
    const port = () => (registry.address() as { port: number }).port;
    registryUrl = `http://127.0.0.1:${port()}`;
    stack = await startStack({
      PROVIDER_URL_ALLOW_HTTP: 'true',
      PROVIDER_URL_ALLOW_PRIVATE_ADDRESSES: 'true',
      PROVIDER_HEALTH_TIMEOUT_MS: '3000',
    });
    api = client(stack.gateway.url);
  });
  afterAll(async () => {
    await strict?.close();
    await stack?.close();
    await new Promise((r) => registry.close(r));
  });

  const connectedTeam = async (url: string) => {
    const team = await createTeam(stack, `onprem-${Math.random().toString(36).slice(2, 8)}`);
    const saved = await api('POST', '/api/integrations/artifactory/connect', {
      token: team.admin,
      body: artifactory(url),
    });
    expect(saved.status).toBe(201);
    return team;
  };
  const health = async (token: string) =>
    (await api('GET', '/api/integrations/artifactory/health', { token })).body;

  test('an on-premise registry the operator allowed is called and healthy', async () => {
    const team = await connectedTeam(`${registryUrl}/`);
    expect(await health(team.viewer)).toMatchObject({ healthy: true, status: 'healthy' });
  });

  test('a redirect is answered, not followed', async () => {
    const team = await connectedTeam(`${registryUrl}/moved`);
    const answer = await health(team.viewer);
    expect(answer).toMatchObject({ healthy: false, httpStatus: 302 });
    expect(answer.detail).toMatch(/redirect/);
    expect(seen).not.toContain('/stolen');
  });

  test("a port that speaks no HTTP is described in product terms, never the socket's words", async () => {
    const team = await connectedTeam('http://127.0.0.1:5432/');
    const answer = await health(team.viewer);
    expect(answer).toMatchObject({ healthy: false, status: 'unreachable' });
    expect(answer.detail).not.toMatch(RAW_SOCKET_WORDS);
  });

  test('once the operator allows no private addresses, saved URLs are refused at call time', async () => {
    // Saved while allowed: one by address, one by a name that resolves to loopback.
    const byAddress = await connectedTeam(`${registryUrl}/`);
    const byName = await connectedTeam(`${registryUrl.replace('127.0.0.1', 'localhost')}/`);
    // Given the integration service restarts without the private-address allowance (as good as
    // DNS answering a private address for a name that was public at save time).
    await stack.integration.close();
    strict = await startService(integrationService as any, {
      ...stack.env,
      PROVIDER_URL_ALLOW_PRIVATE_ADDRESSES: 'false',
    });
    const before = seen.length;
    for (const team of [byAddress, byName]) {
      const answer = await health(team.viewer);
      expect(answer).toMatchObject({ healthy: false, status: 'unreachable' });
      expect(answer.detail).toMatch(/loopback address, which this service does not call/);
    }
    expect(seen.length).toBe(before);
  });
});
