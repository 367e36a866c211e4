import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { IntegrationSubjects } from '#libs/contracts/src/index.js';
import { startStack, type Stack } from '../support/stack.js';
import { client, createTeam, type Team } from '../support/gateway-api.js';

/** What the gateway answers on its own: catalog, validation, roles, and a service that is gone. */
describe('/api/integrations without the write side', () => {
  let stack: Stack;
  let call: ReturnType<typeof client>;
  let acme: Team;

  beforeAll(async () => {
    stack = await startStack({ BUS_TIMEOUT_MS: '700' });
    call = client(stack.gateway.url);
    acme = await createTeam(stack, 'acme');
  });

  afterAll(async () => {
    await stack?.close();
  });

  test('checks and actions come from the provider catalog, for every role', async () => {
    for (const token of [acme.owner, acme.admin, acme.member, acme.viewer]) {
      const checks = await call('GET', '/api/integrations/github/checks', { token });
      expect(checks.status).toBe(200);
      expect(checks.body.provider).toBe('github');
      const names = checks.body.checks.map((c: any) => c.name);
      expect(names).toEqual(expect.arrayContaining(['branch_protection', 'ci_status', 'pr.age']));
      expect(checks.body.checks.find((c: any) => c.name === 'pr.age').operators).toContain('gt');
    }
    const actions = await call('GET', '/api/integrations/slack/actions', { token: acme.viewer });
    expect(actions.status).toBe(200);
    const send = actions.body.actions.find((a: any) => a.name === 'send_message');
    expect(send.params).toEqual(expect.arrayContaining([{ name: 'channel', required: true }]));
  });

  test('an unknown provider is a 404 that lists the known ones, on every endpoint', async () => {
    for (const [method, path] of [
      ['GET', '/api/integrations/gitlab/checks'],
      ['GET', '/api/integrations/gitlab/actions'],
      ['GET', '/api/integrations/gitlab/repos'],
      ['GET', '/api/integrations/gitlab/health'],
      ['POST', '/api/integrations/gitlab/connect'],
      ['POST', '/api/integrations/gitlab/disconnect'],
    ] as const) {
      const r = await call(method, path, {
        token: acme.owner,
        body: method === 'POST' ? {} : undefined,
      });
      expect(r.status).toBe(404);
      expect(r.body.error.code).toBe('unknown_provider');
      expect(r.body.error.details.known).toEqual(
        expect.arrayContaining(['github', 'slack', 'vercel', 'supabase', 'email', 'ecr']),
      );
      expect(r.body.error.message).toMatch(/known providers: github, slack/);
    }
  });

  test('connect and disconnect need owner or admin: 403 naming the role', async () => {
    for (const token of [acme.member, acme.viewer]) {
      for (const action of ['connect', 'disconnect']) {
        const r = await call('POST', `/api/integrations/github/${action}`, {
          token,
          body: { installationId: '1', accountLogin: 'acme' },
        });
        expect(r.status).toBe(403);
        expect(r.body.error.message).toMatch(/owner or admin/);
      }
    }
  });

  test('an invalid connect body is a 400 with one entry per field', async () => {
    const r = await call('POST', '/api/integrations/github/connect', {
      token: acme.admin,
      body: { installationId: 'abc', accountLogin: '-bad-', extra: 1 },
    });
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('validation_failed');
    const fields = r.body.error.details.map((d: any) => d.field).sort();
    expect(fields).toEqual(['accountLogin', 'extra', 'installationId']);
    const missing = await call('POST', '/api/integrations/github/connect', {
      token: acme.admin,
      body: {},
    });
    expect(missing.body.error.details.map((d: any) => d.field).sort()).toEqual([
      'accountLogin',
      'installationId',
    ]);
    const badKey = await call('POST', '/api/integrations/github/connect', {
      token: acme.admin,
      body: { installationId: '1', accountLogin: 'acme' },
      headers: { 'idempotency-key': 'x'.repeat(300) },
    });
    expect(badKey.status).toBe(400);
    expect(badKey.body.error.details[0].field).toBe('Idempotency-Key');
  });

  test('repos: query validated, per_page capped at 100, 404 while not connected', async () => {
    const bad = await call('GET', '/api/integrations/slack/repos?page=0&per_page=abc', {
      token: acme.viewer,
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.map((d: any) => d.field)).toEqual(['page', 'per_page']);
    const notConnected = await call('GET', '/api/integrations/slack/repos', { token: acme.viewer });
    expect(notConnected.status).toBe(404);
    expect(notConnected.body.error.code).toBe('not_connected');
  });

  test('the list answers 401 in the /api shape without a valid key', async () => {
    const none = await call('GET', '/api/integrations');
    expect(none.status).toBe(401);
    expect(none.body.error.code).toBe('unauthorized');
    const bad = await call('GET', '/api/integrations', { headers: { authorization: 'Token x' } });
    expect(bad.status).toBe(401);
    const ok = await call('GET', '/api/integrations', {
      headers: { authorization: `bearer ${acme.viewer}` },
    });
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({ integrations: [] });
  });

  test('a query string that is not understood is a 400', async () => {
    const r = await call('GET', '/api/integrations?status=maybe', { token: acme.viewer });
    expect(r.status).toBe(400);
    expect(r.body.error.details).toEqual([
      { field: 'status', message: 'must be connected, disconnected or all' },
    ]);
  });

  test('OpenAPI 3 at /api/docs-json, generated from the controllers, browsable at /api/docs', async () => {
    const json = await call('GET', '/api/docs-json');
    expect(json.status).toBe(200);
    expect(json.body.openapi).toMatch(/^3\./);
    for (const path of [
      '/api/integrations',
      '/api/integrations/{provider}/connect',
      '/api/integrations/{provider}/disconnect',
      '/api/integrations/{provider}/checks',
      '/api/integrations/{provider}/actions',
      '/api/integrations/{provider}/repos',
      '/api/integrations/{provider}/health',
      '/api/rules',
      '/api/rules/{id}',
      '/api/rules/{id}/enable',
      '/api/rules/{id}/disable',
      '/api/workspace/members',
      '/api/workspace/tokens',
    ]) {
      expect(Object.keys(json.body.paths)).toContain(path);
    }
    expect(json.body.components.securitySchemes.token).toMatchObject({ in: 'header' });
    const ui = await fetch(`${stack.gateway.url}/api/docs`);
    expect(ui.status).toBe(200);
    expect(ui.headers.get('content-type')).toMatch(/text\/html/);
    expect(await ui.text()).toContain('/api/docs/swagger-initializer.js');
    const initializer = await fetch(`${stack.gateway.url}/api/docs/swagger-initializer.js`);
    expect(await initializer.text()).toContain('/api/docs-json');
    const bundle = await fetch(`${stack.gateway.url}/api/docs/swagger-ui-bundle.js`);
    expect(bundle.status).toBe(200);
    expect((await bundle.arrayBuffer()).byteLength).toBeGreaterThan(100_000);
  });

  test('a service that does not answer in time: 503 with Retry-After, not a hung socket', async () => {
    await stack.integration.close();
    const silent = stack.gateway.infra.bus.nc.subscribe(IntegrationSubjects.connect, {
      callback: () => undefined,
    });
    try {
      const started = Date.now();
      const r = await call('POST', '/api/integrations/github/connect', {
        token: acme.owner,
        body: { installationId: '1', accountLogin: 'acme' },
      });
      expect(r.status).toBe(503);
      expect(Date.now() - started).toBeLessThan(3_000);
      expect(r.headers.get('retry-after')).toBe('5');
      expect(r.body.error).toMatchObject({ code: 'service_unavailable' });
      expect(r.body.error.details.reason).toBe('timeout');
    } finally {
      silent.unsubscribe();
    }
    const gone = await call('GET', '/api/integrations/github/health', { token: acme.viewer });
    expect(gone.status).toBe(503);
    expect(gone.headers.get('retry-after')).toBe('2');
    expect(gone.body.error.details.reason).toBe('no_responders');
  });
});
