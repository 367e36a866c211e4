import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { client as apiClient, createTeam, type Team } from '../support/gateway-api.js';
import { startStack, type Stack } from '../support/stack.js';
import { createBody, restClient, VERSION, type RestResponse } from '../support/rest-api.js';

/**
 * The Snyk REST API over HTTP against the running services (real NATS, JetStream, Postgres). Every
 * response any test here receives passes the JSON:API conformance check in `restClient`.
 */
let stack: Stack;
let call: ReturnType<typeof restClient>;
let api: ReturnType<typeof apiClient>;
let team: Team;
let other: Team;
let orgPath: string;

beforeAll(async () => {
  stack = await startStack();
  call = restClient(stack.gateway.url);
  api = apiClient(stack.gateway.url);
  team = await createTeam(stack.gateway.infra.dataSource, 'acme');
  other = await createTeam(stack.gateway.infra.dataSource, 'globex');
  orgPath = `/rest/orgs/${team.workspaceId}/integrations`;
}, 60_000);
afterAll(async () => stack?.close());

async function createEcr(name: string, token = team.owner, path = orgPath): Promise<RestResponse> {
  const r = await call('POST', path, { token, body: createBody(name) });
  expect(r.status).toBe(201);
  return r;
}

const firstError = (r: RestResponse) => r.body.errors[0];

// First in the file, so its integrations are the first the read model sees: their list positions
// cross from one digit to two, which an order by the position's text would get wrong.
describe('cursor pagination', () => {
  let paging: Team;
  let path: string;
  const created: string[] = [];
  const create = async (n: number) => {
    for (let i = 0; i < n; i++) {
      const r = await createEcr(`page item ${created.length}`, paging.owner, path);
      created.push(r.body.data.id);
    }
  };
  const page = async (link: string) => {
    const r = await call('GET', link, { token: paging.viewer });
    expect(r.status).toBe(200);
    return r.body as { data: { id: string }[]; links: Record<string, string | undefined> };
  };

  beforeAll(async () => {
    paging = await createTeam(stack.gateway.infra.dataSource, 'initech');
    path = `/rest/orgs/${paging.workspaceId}/integrations`;
    await create(25);
  }, 60_000);

  test('forward and back through a list that grows while it is paged', async () => {
    const first = await page(`${path}?limit=10`);
    expect(first.data.map((i) => i.id)).toEqual(created.slice(0, 10));
    expect(first.links.prev).toBeUndefined();
    expect(first.links.next).toBeDefined();

    const second = await page(first.links.next!);
    expect(second.data.map((i) => i.id)).toEqual(created.slice(10, 20));
    // Three more arrive while the client is on page 2: nothing shifts, they come at the end.
    await create(3);
    const third = await page(second.links.next!);
    expect(third.data.map((i) => i.id)).toEqual(created.slice(20, 28));
    expect(third.links.next).toBeUndefined();
    const seen = [...first.data, ...second.data, ...third.data].map((i) => i.id);
    expect(new Set(seen).size).toBe(28);

    // Back from the last page by `prev`: the same pages, in the same order.
    const back2 = await page(third.links.prev!);
    expect(back2.data.map((i) => i.id)).toEqual(created.slice(10, 20));
    const back1 = await page(back2.links.prev!);
    expect(back1.data.map((i) => i.id)).toEqual(created.slice(0, 10));
    expect(back1.links.prev).toBeUndefined();
    expect(back1.links.next).toBeDefined();

    // `self` fetches the same page again; every link keeps limit and version.
    expect((await page(second.links.self!)).data).toEqual(second.data);
    for (const link of Object.values(second.links))
      expect(link).toMatch(/version=2026-03-25.*limit=10/);
  });

  test('limit defaults to 10 and goes up to 100', async () => {
    expect((await page(path)).data).toHaveLength(10);
    expect((await page(`${path}?limit=100`)).data).toHaveLength(created.length);
  });

  test.each(['9', '101', 'ten', '-1'])('limit %p: 400', async (limit) => {
    const r = await call('GET', `${path}?limit=${limit}`, { token: paging.viewer });
    expect(r.status).toBe(400);
    expect(firstError(r).source).toEqual({ parameter: 'limit' });
  });

  test('both cursors at once, a tampered cursor, or another org’s cursor: 400', async () => {
    const first = await page(`${path}?limit=10`);
    const cursor = new URL(first.links.next!, 'http://x').searchParams.get('starting_after')!;
    const both = await call('GET', `${path}?starting_after=${cursor}&ending_before=${cursor}`, {
      token: paging.viewer,
    });
    expect(both.status).toBe(400);
    const [v, body, mac] = cursor.split('.');
    const forged = Buffer.from(
      JSON.stringify({ o: paging.workspaceId, p: '1', i: created[0] }),
    ).toString('base64url');
    for (const bad of [
      `${v}.${forged}.${mac}`,
      `${v}.${body}.${mac!.slice(0, -2)}AA`,
      'v1.eyJpZCI6IjEwMDAifQo=',
    ]) {
      const r = await call('GET', `${path}?starting_after=${encodeURIComponent(bad)}`, {
        token: paging.viewer,
      });
      expect(r.status).toBe(400);
      expect(firstError(r)).toMatchObject({
        code: 'invalid_cursor',
        source: { parameter: 'starting_after' },
      });
    }
    // A cursor is bound to its org: this org's cursor means nothing in another org's list.
    const elsewhere = await call('GET', `${orgPath}?starting_after=${cursor}`, {
      token: team.viewer,
    });
    expect(elsewhere.status).toBe(400);
    expect(firstError(elsewhere).code).toBe('invalid_cursor');
  });
});

describe('version', () => {
  test('is required on every operation: 400 naming the parameter', async () => {
    const id = (await createEcr('versioned')).body.data.id;
    for (const [method, path, body] of [
      ['GET', orgPath],
      ['POST', orgPath, createBody('x')],
      ['GET', `${orgPath}/${id}`],
      ['PATCH', `${orgPath}/${id}`, { data: { type: 'integration', id, attributes: {} } }],
      ['DELETE', `${orgPath}/${id}`],
      ['GET', `${orgPath}/${id}/settings`],
    ] as const) {
      const r = await call(method, path, { token: team.owner, body, version: null });
      expect({ method, path, status: r.status }).toEqual({ method, path, status: 400 });
      expect(firstError(r)).toMatchObject({
        code: 'version_missing',
        source: { parameter: 'version' },
      });
    }
  });

  test.each(['2026-3-25', 'latest', '2026-03-25~ga', '2026-02-30'])(
    'malformed %p: 400',
    async (version) => {
      const r = await call('GET', orgPath, { token: team.viewer, version });
      expect(r.status).toBe(400);
      expect(firstError(r).code).toBe('version_invalid');
    },
  );

  test('a date resolves to the newest version released on or before it, named in a header', async () => {
    const r = await call('GET', orgPath, { token: team.viewer, version: '2026-07-04' });
    expect(r.status).toBe(200);
    expect(r.headers.get('api-version-requested')).toBe('2026-07-04');
    expect(r.headers.get('api-version-served')).toBe('2026-03-25');
    expect(r.headers.get('api-version-lifecycle-stage')).toBe('ga');
    expect(r.headers.get('deprecation')).toBeNull();
    // Links keep the version the client asked for.
    expect(r.body.links.self).toContain('version=2026-07-04');
  });

  test('a deprecated version says so, with its sunset date', async () => {
    const r = await call('GET', orgPath, { token: team.viewer, version: '2025-12-01' });
    expect(r.status).toBe(200);
    expect(r.headers.get('api-version-served')).toBe('2025-04-22');
    expect(r.headers.get('api-version-lifecycle-stage')).toBe('deprecated');
    expect(r.headers.get('deprecation')).toBe(`@${Date.UTC(2026, 2, 25) / 1000}`);
    expect(r.headers.get('sunset')).toBe('Thu, 25 Mar 2027 00:00:00 GMT');
  });

  test('stability suffixes and bare stabilities resolve', async () => {
    const beta = await call('GET', orgPath, { token: team.viewer, version: '2026-10-01~beta' });
    expect(beta.headers.get('api-version-served')).toBe('2026-09-01~beta');
    const bare = await call('GET', orgPath, { token: team.viewer, version: 'experimental' });
    expect(bare.headers.get('api-version-served')).toBe('2026-10-20~experimental');
  });

  test('a date before the first release: 404 naming the first version', async () => {
    const r = await call('GET', orgPath, { token: team.viewer, version: '2024-01-01' });
    expect(r.status).toBe(404);
    expect(firstError(r)).toMatchObject({
      code: 'version_not_found',
      source: { parameter: 'version' },
    });
    expect(firstError(r).detail).toContain('2025-04-22');
  });

  test('a version past its sunset: 410 naming what to use', async () => {
    const r = await call('GET', orgPath, { token: team.viewer, version: '2025-01-01~beta' });
    expect(r.status).toBe(410);
    expect(firstError(r).detail).toContain('2024-10-15~beta');
  });
});

describe('authentication, roles and orgs', () => {
  test('no key, a malformed key or an unknown key: 401', async () => {
    expect((await call('GET', orgPath)).status).toBe(401);
    expect((await call('GET', orgPath, { headers: { authorization: 'Basic abc' } })).status).toBe(
      401,
    );
    const unknown = `igw_${'A'.repeat(43)}`;
    expect((await call('GET', orgPath, { token: unknown })).status).toBe(401);
  });

  test('Bearer works as well as Token', async () => {
    const r = await call('GET', orgPath, { headers: { authorization: `Bearer ${team.viewer}` } });
    expect(r.status).toBe(200);
  });

  test('member and viewer read but cannot write; owner and admin write', async () => {
    const id = (await createEcr('roles', team.admin)).body.data.id;
    for (const token of [team.member, team.viewer]) {
      expect((await call('GET', orgPath, { token })).status).toBe(200);
      expect((await call('GET', `${orgPath}/${id}/settings`, { token })).status).toBe(200);
      const post = await call('POST', orgPath, { token, body: createBody('nope') });
      expect(post.status).toBe(403);
      expect(firstError(post).detail).toContain('org.integration.edit');
      const patch = await call('PATCH', `${orgPath}/${id}`, {
        token,
        body: { data: { type: 'integration', id, attributes: { profile_name: 'nope' } } },
      });
      expect(patch.status).toBe(403);
      expect((await call('DELETE', `${orgPath}/${id}`, { token })).status).toBe(403);
    }
  });

  test('a key from another org: 404 for the org, never its data', async () => {
    const theirs = (
      await createEcr('theirs', other.owner, `/rest/orgs/${other.workspaceId}/integrations`)
    ).body.data.id;
    const otherPath = `/rest/orgs/${other.workspaceId}/integrations`;
    for (const [method, path] of [
      ['GET', otherPath],
      ['GET', `${otherPath}/${theirs}`],
      ['GET', `${otherPath}/${theirs}/settings`],
      ['DELETE', `${otherPath}/${theirs}`],
    ] as const) {
      const r = await call(method, path, { token: team.owner });
      expect({ path, status: r.status, code: firstError(r).code }).toEqual({
        path,
        status: 404,
        code: 'org_not_found',
      });
    }
    // Their integration id under our org is simply not found either.
    const r = await call('GET', `${orgPath}/${theirs}`, { token: team.owner });
    expect(r.status).toBe(404);
    expect(JSON.stringify(r.body)).not.toContain('theirs');
    // And it still exists for them.
    expect((await call('GET', `${otherPath}/${theirs}`, { token: other.viewer })).status).toBe(200);
  });

  test('malformed ids: 400', async () => {
    expect(
      (await call('GET', `/rest/orgs/not-a-uuid/integrations`, { token: team.viewer })).status,
    ).toBe(400);
    expect((await call('GET', `${orgPath}/not-a-uuid`, { token: team.viewer })).status).toBe(400);
  });
});

describe('media types', () => {
  test('POST or PATCH with another content type: 415', async () => {
    const id = (await createEcr('media')).body.data.id;
    for (const contentType of [
      'application/json',
      'text/plain',
      'application/vnd.api+json; charset=utf-8',
    ]) {
      const post = await call('POST', orgPath, {
        token: team.owner,
        body: createBody('x'),
        contentType,
      });
      expect({ contentType, status: post.status }).toEqual({ contentType, status: 415 });
      const patch = await call('PATCH', `${orgPath}/${id}/settings`, {
        token: team.owner,
        body: { data: { type: 'integration_settings', id, attributes: { broker_enabled: false } } },
        contentType,
      });
      expect(patch.status).toBe(415);
    }
  });

  test('Accept with only parameterised JSON:API media types: 406', async () => {
    const r = await call('GET', orgPath, {
      token: team.viewer,
      headers: { accept: 'application/vnd.api+json; charset=utf-8' },
    });
    expect(r.status).toBe(406);
  });

  test('a body over the 1 MB limit: 413, still as JSON:API', async () => {
    const r = await call('POST', orgPath, {
      token: team.owner,
      body: createBody('x'.repeat(1_100_000)),
    });
    expect(r.status).toBe(413);
  });

  test('query parameters this API does not define: 400 naming them (JSON:API)', async () => {
    for (const parameter of [
      'include=settings',
      'sort=-created_at',
      'fields[integration]=x',
      'colour=red',
    ]) {
      const r = await call('GET', `${orgPath}?${parameter}`, { token: team.viewer });
      expect({ parameter, status: r.status }).toEqual({ parameter, status: 400 });
      expect(firstError(r)).toMatchObject({
        code: 'unknown_query_parameter',
        source: { parameter: parameter.split('=')[0] },
      });
    }
    const id = (await createEcr('query params')).body.data.id;
    expect((await call('GET', `${orgPath}/${id}?limit=10`, { token: team.viewer })).status).toBe(
      400,
    );
    // The seed lists the paging parameters on the settings read: accepted there.
    expect(
      (await call('GET', `${orgPath}/${id}/settings?limit=10`, { token: team.viewer })).status,
    ).toBe(200);
  });

  test('a body that is not JSON: 400', async () => {
    const r = await call('POST', orgPath, { token: team.owner, raw: '{"data": ' });
    expect(r.status).toBe(400);
    expect(firstError(r).code).toBe('malformed_body');
  });
});

describe('create and get', () => {
  test('create: 201 with the resource, its Location, and no credentials; get returns it', async () => {
    const r = await createEcr('production "registry" \\ ü </script>');
    const resource = r.body.data;
    expect(resource).toMatchObject({
      type: 'integration',
      attributes: {
        integration_type: 'ecr',
        profile_name: 'production "registry" \\ ü </script>',
        status: 'connected',
      },
    });
    expect(resource.links.self).toBe(`${orgPath}/${resource.id}?version=${VERSION}`);
    expect(r.headers.get('location')).toBe(resource.links.self);
    expect(JSON.stringify(r.body)).not.toContain('arn:aws');
    const got = await call('GET', `${orgPath}/${resource.id}`, { token: team.viewer });
    expect(got.status).toBe(200);
    expect(got.body.data).toEqual(resource);
    // Lists render resources in SQL: the same resource object, member for member.
    const listed = await call('GET', `${orgPath}?limit=100`, { token: team.viewer });
    expect(listed.body.data.find((i: any) => i.id === resource.id)).toEqual(resource);
    expect(JSON.stringify(got.body)).not.toContain('arn:aws');
  });

  test('the same Idempotency-Key creates once and answers the same integration', async () => {
    const headers = { 'idempotency-key': `create-once-${Date.now()}` };
    const first = await call('POST', orgPath, {
      token: team.owner,
      body: createBody('once'),
      headers,
    });
    const again = await call('POST', orgPath, {
      token: team.owner,
      body: createBody('once'),
      headers,
    });
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.body.data.id).toBe(first.body.data.id);
    const list = await call('GET', `${orgPath}?limit=100`, { token: team.viewer });
    expect(list.body.data.filter((i: any) => i.attributes.profile_name === 'once')).toHaveLength(1);
  });

  test('credentials are validated for shape, each error pointing at its field', async () => {
    const r = await call('POST', orgPath, {
      token: team.owner,
      body: createBody('bad', 'ecr', { region: 'moon-1', role_arn: 'arn:aws:iam::1:user/x' }),
    });
    expect(r.status).toBe(400);
    expect(r.body.errors.map((e: any) => e.source.pointer).sort()).toEqual([
      '/data/attributes/credentials/region',
      '/data/attributes/credentials/role_arn',
    ]);
  });

  test('a provider with plain config as well (GitHub): all of it goes in credentials', async () => {
    // An org of its own: /api connects GitHub in `team` further down.
    const hooli = await createTeam(stack.gateway.infra.dataSource, 'hooli');
    const path = `/rest/orgs/${hooli.workspaceId}/integrations`;
    const bad = await call('POST', path, {
      token: hooli.owner,
      body: createBody('gh', 'github', { installationId: 'x' }),
    });
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((e: any) => e.source.pointer).sort()).toEqual([
      '/data/attributes/credentials/accountLogin',
      '/data/attributes/credentials/installationId',
    ]);
    const good = await call('POST', path, {
      token: hooli.owner,
      body: createBody('gh', 'github', { installationId: '4242', accountLogin: 'acme-labs' }),
    });
    expect(good.status).toBe(201);
    expect(good.body.data.attributes).toMatchObject({
      integration_type: 'github',
      profile_name: 'gh',
    });
  });

  test('unknown type, missing fields, unknown attributes, wrong resource type', async () => {
    const unknownType = await call('POST', orgPath, {
      token: team.owner,
      body: createBody('x', 'floppy-disk', {}),
    });
    expect(unknownType.status).toBe(400);
    expect(firstError(unknownType).source.pointer).toBe('/data/attributes/integration_type');
    const missing = await call('POST', orgPath, {
      token: team.owner,
      body: { data: { type: 'integration', attributes: { integration_type: 'ecr', colour: 1 } } },
    });
    expect(missing.status).toBe(400);
    expect(missing.body.errors.map((e: any) => e.source.pointer).sort()).toEqual([
      '/data/attributes/colour',
      '/data/attributes/credentials',
      '/data/attributes/profile_name',
    ]);
    const wrongType = await call('POST', orgPath, {
      token: team.owner,
      body: { data: { type: 'rule', attributes: {} } },
    });
    expect(wrongType.status).toBe(409);
  });

  test('an unknown integration: 404', async () => {
    const r = await call('GET', `${orgPath}/00000000-0000-4000-8000-000000000000`, {
      token: team.viewer,
    });
    expect(r.status).toBe(404);
    expect(firstError(r).code).toBe('integration_not_found');
  });
});

describe('update', () => {
  test('partial: only the given fields change', async () => {
    const created = (await createEcr('before')).body.data;
    const renamed = await call('PATCH', `${orgPath}/${created.id}`, {
      token: team.admin,
      body: {
        data: { type: 'integration', id: created.id, attributes: { profile_name: 'after' } },
      },
    });
    expect(renamed.status).toBe(200);
    expect(renamed.body.data.attributes).toMatchObject({
      profile_name: 'after',
      integration_type: 'ecr',
    });
    const rotated = await call('PATCH', `${orgPath}/${created.id}`, {
      token: team.admin,
      body: {
        data: {
          type: 'integration',
          id: created.id,
          attributes: { credentials: { region: 'eu-west-1' } },
        },
      },
    });
    expect(rotated.status).toBe(200);
    expect(rotated.body.data.attributes.profile_name).toBe('after');
    const got = await call('GET', `${orgPath}/${created.id}`, { token: team.viewer });
    expect(got.body.data.attributes.profile_name).toBe('after');
    expect(JSON.stringify(got.body)).not.toMatch(/eu-west-1|credentials/);
  });

  test('credentials are validated after merging: a bad role ARN is 400', async () => {
    const created = (await createEcr('merge')).body.data;
    const r = await call('PATCH', `${orgPath}/${created.id}`, {
      token: team.owner,
      body: {
        data: {
          type: 'integration',
          id: created.id,
          attributes: { credentials: { role_arn: 'nope' } },
        },
      },
    });
    expect(r.status).toBe(400);
    expect(firstError(r).source.pointer).toBe('/data/attributes/credentials/role_arn');
  });

  test('integration_type cannot change: 400 naming the field', async () => {
    const created = (await createEcr('immutable')).body.data;
    const r = await call('PATCH', `${orgPath}/${created.id}`, {
      token: team.owner,
      body: {
        data: { type: 'integration', id: created.id, attributes: { integration_type: 'acr' } },
      },
    });
    expect(r.status).toBe(400);
    expect(firstError(r)).toMatchObject({
      source: { pointer: '/data/attributes/integration_type' },
    });
    expect(firstError(r).detail).toContain('integration_type');
  });

  test('the document id must match the URL: 409; an unknown integration: 404', async () => {
    const created = (await createEcr('ids')).body.data;
    const mismatch = await call('PATCH', `${orgPath}/${created.id}`, {
      token: team.owner,
      body: {
        data: { type: 'integration', id: '00000000-0000-4000-8000-000000000000', attributes: {} },
      },
    });
    expect(mismatch.status).toBe(409);
    const missing = '00000000-0000-4000-8000-000000000001';
    const unknown = await call('PATCH', `${orgPath}/${missing}`, {
      token: team.owner,
      body: { data: { type: 'integration', id: missing, attributes: { profile_name: 'x' } } },
    });
    expect(unknown.status).toBe(404);
  });
});

describe('settings', () => {
  test('get and partial update for a container registry', async () => {
    const id = (await createEcr('settings')).body.data.id;
    const before = await call('GET', `${orgPath}/${id}/settings`, { token: team.viewer });
    expect(before.status).toBe(200);
    expect(before.body.data).toMatchObject({
      id,
      type: 'integration_settings',
      attributes: { container_app_scan_enabled: false, broker_enabled: false },
    });
    const patched = await call('PATCH', `${orgPath}/${id}/settings`, {
      token: team.owner,
      body: {
        data: {
          type: 'integration_settings',
          id,
          attributes: { container_app_scan_enabled: true },
        },
      },
    });
    expect(patched.status).toBe(200);
    expect(patched.body.data.attributes).toEqual({
      container_app_scan_enabled: true,
      broker_enabled: false,
    });
    const after = await call('GET', `${orgPath}/${id}/settings`, { token: team.viewer });
    expect(after.body.data.attributes.container_app_scan_enabled).toBe(true);
  });

  test('container_app_scan_enabled on an integration that is not a registry: 400', async () => {
    const slack = await call('POST', orgPath, {
      token: team.owner,
      body: createBody('chat', 'slack', { botToken: 'xoxb-123-abc' }),
    });
    expect(slack.status).toBe(201);
    const id = slack.body.data.id;
    const r = await call('PATCH', `${orgPath}/${id}/settings`, {
      token: team.owner,
      body: {
        data: {
          type: 'integration_settings',
          id,
          attributes: { container_app_scan_enabled: true },
        },
      },
    });
    expect(r.status).toBe(400);
    expect(firstError(r)).toMatchObject({
      code: 'setting_not_applicable',
      source: { pointer: '/data/attributes/container_app_scan_enabled' },
    });
    const settings = await call('GET', `${orgPath}/${id}/settings`, { token: team.viewer });
    expect(settings.body.data.attributes).toEqual({ broker_enabled: false });
  });

  test('a setting that is not a boolean: 400 pointing at it', async () => {
    const id = (await createEcr('typed settings')).body.data.id;
    const r = await call('PATCH', `${orgPath}/${id}/settings`, {
      token: team.owner,
      body: {
        data: {
          type: 'integration_settings',
          id,
          attributes: { container_app_scan_enabled: 'yes' },
        },
      },
    });
    expect(r.status).toBe(400);
    expect(firstError(r).source.pointer).toBe('/data/attributes/container_app_scan_enabled');
  });
});

describe('delete', () => {
  test('hard delete: 204, then 404; a follow-up list reports what it orphaned', async () => {
    const id = (await createEcr('doomed')).body.data.id;
    const r = await call('DELETE', `${orgPath}/${id}`, { token: team.owner });
    expect(r.status).toBe(204);
    expect((await call('GET', `${orgPath}/${id}`, { token: team.viewer })).status).toBe(404);
    expect((await call('GET', `${orgPath}/${id}/settings`, { token: team.viewer })).status).toBe(
      404,
    );
    expect((await call('DELETE', `${orgPath}/${id}`, { token: team.owner })).status).toBe(404);
    const list = await call('GET', `${orgPath}?limit=100`, { token: team.viewer });
    expect(list.body.data.map((i: any) => i.id)).not.toContain(id);
    expect(list.body.meta.deleted_integrations).toContainEqual(
      expect.objectContaining({
        id,
        integration_type: 'ecr',
        orphaned_targets: expect.any(Number),
      }),
    );
    expect(typeof list.body.meta.orphaned_targets).toBe('number');
  });

  test('the targets a delete orphans are counted in the meta of the next list', async () => {
    const umbrella = await createTeam(stack.gateway.infra.dataSource, 'umbrella');
    const path = `/rest/orgs/${umbrella.workspaceId}/integrations`;
    const id = (await createEcr('only registry', umbrella.owner, path)).body.data.id;
    const rule = await api('POST', '/api/rules', {
      token: umbrella.owner,
      body: {
        name: 'scan vulnerable images',
        trigger: { event: 'schedule', schedule: '0 * * * *' },
        conditions: [
          { provider: 'ecr', check: 'image.vulnerability_count', operator: 'gt', value: 0 },
        ],
        actions: [{ provider: 'ecr', method: 'scan_image', params: { image: 'api' } }],
      },
    });
    expect(rule.status).toBe(201);
    const before = await call('GET', path, { token: umbrella.viewer });
    expect(before.body.meta).toEqual({ orphaned_targets: 0, deleted_integrations: [] });
    expect((await call('DELETE', `${path}/${id}`, { token: umbrella.admin })).status).toBe(204);
    const after = await call('GET', path, { token: umbrella.viewer });
    expect(after.body.data).toEqual([]);
    expect(after.body.meta.orphaned_targets).toBe(1);
    expect(after.body.meta.deleted_integrations).toEqual([
      { id, integration_type: 'ecr', orphaned_targets: 1, deleted_at: expect.any(String) },
    ]);
  });

  test('broker mode on: 409 saying to disable it first; after disabling, the delete works', async () => {
    const id = (await createEcr('brokered')).body.data.id;
    const on = await call('PATCH', `${orgPath}/${id}/settings`, {
      token: team.owner,
      body: { data: { type: 'integration_settings', id, attributes: { broker_enabled: true } } },
    });
    expect(on.status).toBe(200);
    const refused = await call('DELETE', `${orgPath}/${id}`, { token: team.owner });
    expect(refused.status).toBe(409);
    expect(firstError(refused).detail).toMatch(/broker mode.*disable it first/i);
    expect((await call('GET', `${orgPath}/${id}`, { token: team.viewer })).status).toBe(200);
    await call('PATCH', `${orgPath}/${id}/settings`, {
      token: team.owner,
      body: { data: { type: 'integration_settings', id, attributes: { broker_enabled: false } } },
    });
    expect((await call('DELETE', `${orgPath}/${id}`, { token: team.owner })).status).toBe(204);
  });
});

describe('both APIs see the same integrations', () => {
  test('created through /rest, listed by /api', async () => {
    const id = (await createEcr('seen by api')).body.data.id;
    const listed = await api('GET', '/api/integrations', { token: team.viewer });
    expect(listed.status).toBe(200);
    expect(JSON.stringify(listed.body)).toContain(id);
  });

  test('changed or deleted through /rest, seen so by /api at once', async () => {
    const id = (await createEcr('old name')).body.data.id;
    await call('PATCH', `${orgPath}/${id}`, {
      token: team.owner,
      body: { data: { type: 'integration', id, attributes: { profile_name: 'new name' } } },
    });
    const listed = await api('GET', '/api/integrations', { token: team.viewer });
    expect(JSON.stringify(listed.body)).toContain('new name');
    expect(JSON.stringify(listed.body)).not.toContain('old name');
    expect((await call('DELETE', `${orgPath}/${id}`, { token: team.owner })).status).toBe(204);
    const gone = await api('GET', '/api/integrations?status=all', { token: team.viewer });
    expect(JSON.stringify(gone.body)).not.toContain(id);
  });

  test('connected and disconnected through /api, seen by /rest', async () => {
    const connected = await api('POST', '/api/integrations/github/connect', {
      token: team.owner,
      body: { installationId: '12345678', accountLogin: 'acme-org' },
    });
    expect(connected.status).toBeLessThan(300);
    const all = async () =>
      (await call('GET', `${orgPath}?limit=100`, { token: team.viewer })).body.data;
    const github = (await all()).find((i: any) => i.attributes.integration_type === 'github');
    expect(github.attributes.status).toBe('connected');
    const disconnected = await api('POST', '/api/integrations/github/disconnect', {
      token: team.owner,
      body: {},
    });
    expect(disconnected.status).toBeLessThan(300);
    const after = (await all()).find((i: any) => i.id === github.id);
    expect(after.attributes.status).toBe('disconnected');
  });
});

describe('OpenAPI', () => {
  test('describes every /rest operation with its required version parameter', async () => {
    const doc = (await api('GET', '/api/docs-json')).body;
    const collection = doc.paths['/rest/orgs/{org_id}/integrations'];
    const one = doc.paths['/rest/orgs/{org_id}/integrations/{integration_id}'];
    const settings = doc.paths['/rest/orgs/{org_id}/integrations/{integration_id}/settings'];
    const operations = [
      collection.get,
      collection.post,
      one.get,
      one.patch,
      one.delete,
      settings.get,
      settings.patch,
    ];
    for (const operation of operations) {
      expect(operation.parameters).toContainEqual(
        expect.objectContaining({ name: 'version', in: 'query', required: true }),
      );
    }
    expect(collection.get.parameters.map((p: any) => p.name)).toEqual(
      expect.arrayContaining(['limit', 'starting_after', 'ending_before']),
    );
    expect(Object.keys(collection.post.requestBody.content)).toEqual(['application/vnd.api+json']);
  });
});

// Last: it stops the integration service for good.
describe('the integration service does not answer', () => {
  test('writes: 503 with Retry-After, as JSON:API; reads still work from the read model', async () => {
    await stack.integration.close();
    const r = await call('POST', orgPath, { token: team.owner, body: createBody('nobody home') });
    expect(r.status).toBe(503);
    expect(r.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(firstError(r).code).toBe('service_unavailable');
    expect((await call('GET', orgPath, { token: team.viewer })).status).toBe(200);
  });
});
