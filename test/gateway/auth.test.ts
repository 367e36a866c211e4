import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { startStack, type Stack } from '../support/stack.js';
import { client, createTeam, type Team } from '../support/gateway-api.js';

describe('workspaces, members and API keys', () => {
  let stack: Stack;
  let call: ReturnType<typeof client>;
  let acme: Team;
  let other: Team;

  beforeAll(async () => {
    stack = await startStack();
    call = client(stack.gateway.url);
    acme = await createTeam(stack, 'acme');
    other = await createTeam(stack, 'globex');
  });

  afterAll(async () => {
    await stack?.close();
  });

  test('no key, a malformed key, an unknown key: 401 in the /api error shape', async () => {
    const missing = await call('GET', '/api/workspace/members');
    expect(missing.status).toBe(401);
    expect(missing.body.error.code).toBe('unauthorized');
    expect(missing.body.error.message).toMatch(/Authorization/);

    for (const authorization of ['Token', 'Basic abc', 'Token short', `Token ${acme.owner}x`]) {
      const r = await call('GET', '/api/workspace/members', { headers: { authorization } });
      expect(r.status).toBe(401);
      expect(r.body.error.message).toMatch(/malformed/);
    }
    const unknown = await call('GET', '/api/workspace/members', {
      token: `igw_${'A'.repeat(43)}`,
    });
    expect(unknown.status).toBe(401);
    expect(unknown.body.error.message).toBe('unknown or revoked API key');
  });

  test('Token and Bearer schemes both work', async () => {
    const asToken = await call('GET', '/api/workspace/members', { token: acme.owner });
    expect(asToken.status).toBe(200);
    const asBearer = await call('GET', '/api/workspace/members', {
      headers: { authorization: `Bearer ${acme.admin}` },
    });
    expect(asBearer.status).toBe(200);
    expect(asBearer.body.members.map((m: any) => m.role)).toEqual([
      'owner',
      'admin',
      'member',
      'viewer',
    ]);
  });

  test('member and viewer get 403 naming the role needed', async () => {
    for (const token of [acme.member, acme.viewer]) {
      const r = await call('GET', '/api/workspace/tokens', { token });
      expect(r.status).toBe(403);
      expect(r.body.error.code).toBe('forbidden');
      expect(r.body.error.message).toMatch(/owner or admin/);
      expect(r.body.error.details.requiredRoles).toEqual(['owner', 'admin']);
    }
  });

  test('keys are stored as hashes only and listed without the secret', async () => {
    const rows = await stack.db.query<{ token_hash: Buffer; hint: string }>(
      'SELECT token_hash, hint FROM gateway.api_tokens',
    );
    expect(rows.length).toBe(8);
    for (const row of rows) {
      expect(row.token_hash.length).toBe(32);
      for (const secret of [acme.owner, acme.admin, other.owner]) {
        expect(row.hint).not.toContain(secret.slice(8));
      }
    }
    const listed = await call('GET', '/api/workspace/tokens', { token: acme.owner });
    expect(listed.status).toBe(200);
    expect(listed.body.tokens).toHaveLength(4);
    expect(JSON.stringify(listed.body)).not.toContain(acme.owner.slice(8));
    expect(listed.body.tokens[0]).toEqual({
      id: expect.any(String),
      name: 'owner',
      memberId: acme.memberIds.owner,
      hint: expect.stringMatching(/^igw_.{4}…$/),
      createdAt: expect.any(String),
      revokedAt: null,
    });
  });

  test('an admin adds a member over HTTP; the new key works at once with its role', async () => {
    const added = await call('POST', '/api/workspace/members', {
      token: acme.admin,
      body: { email: 'new@acme.io', role: 'viewer' },
    });
    expect(added.status).toBe(201);
    expect(added.body.member).toMatchObject({ email: 'new@acme.io', role: 'viewer' });
    expect(added.body.token).toMatch(/^igw_[A-Za-z0-9_-]{43}$/);
    const asNew = await call('GET', '/api/workspace/members', { token: added.body.token });
    expect(asNew.status).toBe(403);
    expect(asNew.body.error.details.role).toBe('viewer');

    const again = await call('POST', '/api/workspace/members', {
      token: acme.admin,
      body: { email: 'NEW@acme.io', role: 'member' },
    });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('member_exists');
  });

  test('an admin cannot add an owner; bad bodies get one detail per field', async () => {
    const owner = await call('POST', '/api/workspace/members', {
      token: acme.admin,
      body: { email: 'boss@acme.io', role: 'owner' },
    });
    expect(owner.status).toBe(403);
    const bad = await call('POST', '/api/workspace/members', {
      token: acme.owner,
      body: { email: 'nope', role: 'king' },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('validation_failed');
    expect(bad.body.error.details).toEqual([
      { field: 'email', message: expect.any(String) },
      { field: 'role', message: 'must be one of owner, admin, member, viewer' },
    ]);
  });

  test('a revoked key gets 401 at once, even right after it was cached', async () => {
    const issued = await call('POST', '/api/workspace/tokens', {
      token: acme.owner,
      body: { name: 'ci', memberId: acme.memberIds.admin },
    });
    expect(issued.status).toBe(201);
    expect(issued.body).toMatchObject({ name: 'ci', memberId: acme.memberIds.admin });
    const key = issued.body.token as string;
    expect((await call('GET', '/api/workspace/tokens', { token: key })).status).toBe(200);

    const revoked = await call('DELETE', `/api/workspace/tokens/${issued.body.id}`, {
      token: acme.admin,
    });
    expect(revoked.status).toBe(200);
    expect(revoked.body.revokedAt).not.toBeNull();
    const after = await call('GET', '/api/workspace/tokens', { token: key });
    expect(after.status).toBe(401);
  });

  test('Idempotency-Key on member and key POSTs: one action, the same answer, no secret twice', async () => {
    const headers = { 'idempotency-key': 'add-ops-1' };
    const body = { email: 'ops@acme.io', role: 'member' };
    const first = await call('POST', '/api/workspace/members', {
      token: acme.owner,
      body,
      headers,
    });
    const second = await call('POST', '/api/workspace/members', {
      token: acme.owner,
      body,
      headers,
    });
    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    expect(second.body.member).toEqual(first.body.member);
    expect(second.body.tokenId).toBe(first.body.tokenId);
    expect(first.body.token).toMatch(/^igw_/);
    expect(second.body.token).toBeNull();
    const other = await call('POST', '/api/workspace/members', {
      token: acme.owner,
      body: { email: 'else@acme.io', role: 'member' },
      headers,
    });
    expect(other.status).toBe(409);
    expect(other.body.error.code).toBe('idempotency_key_reused');

    const tokenHeaders = { 'idempotency-key': 'ci-token-1' };
    const a = await call('POST', '/api/workspace/tokens', {
      token: acme.owner,
      body: { name: 'deploy' },
      headers: tokenHeaders,
    });
    const b = await call('POST', '/api/workspace/tokens', {
      token: acme.owner,
      body: { name: 'deploy' },
      headers: tokenHeaders,
    });
    expect(b.body.id).toBe(a.body.id);
    const listed = await call('GET', '/api/workspace/tokens', { token: acme.owner });
    expect(listed.body.tokens.filter((t: any) => t.name === 'deploy')).toHaveLength(1);
  });

  test('an admin can neither mint nor revoke an owner key', async () => {
    const mint = await call('POST', '/api/workspace/tokens', {
      token: acme.admin,
      body: { name: 'sneaky', memberId: acme.memberIds.owner },
    });
    expect(mint.status).toBe(403);
    expect(mint.body.error.details.requiredRoles).toEqual(['owner']);
    const forViewer = await call('POST', '/api/workspace/tokens', {
      token: acme.admin,
      body: { name: 'for-viewer', memberId: acme.memberIds.viewer },
    });
    expect(forViewer.status).toBe(201);
    expect(forViewer.body.memberId).toBe(acme.memberIds.viewer);
    const tokens = (await call('GET', '/api/workspace/tokens', { token: acme.owner })).body.tokens;
    const ownerKey = tokens.find((t: any) => t.memberId === acme.memberIds.owner);
    const revoke = await call('DELETE', `/api/workspace/tokens/${ownerKey.id}`, {
      token: acme.admin,
    });
    expect(revoke.status).toBe(403);
    expect((await call('GET', '/api/workspace/members', { token: acme.owner })).status).toBe(200);
  });

  test('one workspace cannot touch another workspace members or keys', async () => {
    const theirs = await call('GET', '/api/workspace/tokens', { token: other.owner });
    const theirTokenId = theirs.body.tokens[0].id;
    const revoke = await call('DELETE', `/api/workspace/tokens/${theirTokenId}`, {
      token: acme.owner,
    });
    expect(revoke.status).toBe(404);
    const remove = await call('DELETE', `/api/workspace/members/${other.memberIds.viewer}`, {
      token: acme.owner,
    });
    expect(remove.status).toBe(404);
    const mine = await call('GET', '/api/workspace/members', { token: acme.owner });
    expect(mine.body.members.map((m: any) => m.email)).not.toContain('viewer@globex.io');
    expect((await call('GET', '/api/workspace/members', { token: other.viewer })).status).toBe(403);
    expect((await call('GET', '/api/workspace/members', { token: other.admin })).status).toBe(200);
  });

  test('removing a member revokes their keys; the last owner stays', async () => {
    const removed = await call('DELETE', `/api/workspace/members/${acme.memberIds.member}`, {
      token: acme.owner,
    });
    expect(removed.status).toBe(204);
    expect((await call('GET', '/api/workspace/members', { token: acme.member })).status).toBe(401);
    const last = await call('DELETE', `/api/workspace/members/${acme.memberIds.owner}`, {
      token: acme.owner,
    });
    expect(last.status).toBe(409);
    expect(last.body.error.code).toBe('last_owner');
  });

  test('body errors under /api: 415, malformed JSON 400, over 1 MB 413, unknown route 404', async () => {
    const text = await call('POST', '/api/workspace/tokens', {
      token: acme.owner,
      raw: 'name=ci',
      headers: { 'content-type': 'text/plain' },
    });
    expect(text.status).toBe(415);
    expect(text.body.error.code).toBe('unsupported_media_type');
    const xml = await call('POST', '/api/workspace/tokens', {
      token: acme.owner,
      raw: '<a/>',
      headers: { 'content-type': 'application/xml' },
    });
    expect(xml.status).toBe(415);
    expect(xml.body.error.code).toBe('unsupported_media_type');
    const broken = await call('POST', '/api/workspace/tokens', {
      token: acme.owner,
      raw: '{"name": ',
      headers: { 'content-type': 'application/json' },
    });
    expect(broken.status).toBe(400);
    expect(broken.body.error.code).toBe('malformed_json');
    const huge = await call('POST', '/api/workspace/tokens', {
      token: acme.owner,
      raw: JSON.stringify({ name: 'x'.repeat(1024 * 1024 + 10) }),
      headers: { 'content-type': 'application/json' },
    });
    expect(huge.status).toBe(413);
    expect(huge.body.error.code).toBe('payload_too_large');
    const nowhere = await call('GET', '/api/nowhere', { token: acme.owner });
    expect(nowhere.status).toBe(404);
    expect(nowhere.body.error.code).toBe('route_not_found');
  });

  test('health keeps its own format', async () => {
    const ready = await fetch(`${stack.gateway.url}/health/live`);
    expect(ready.status).toBe(200);
    expect(((await ready.json()) as any).status).toBe('ok');
  });
});
