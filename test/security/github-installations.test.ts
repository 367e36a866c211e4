import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import {
  startGithubSimulator,
  type GithubSimulator,
} from '../../tools/github-simulator/src/index.js';
import { InstallStateSigner } from '../../apps/api-gateway/src/github-install/install-state.js';
import { client, createTeam, type Team } from '../support/gateway-api.js';
import type { Stack } from '../support/stack.js';
import { installAs, open, startGithubStack } from './support/github-stack.js';

/**
 * A GitHub installation belongs to the workspace that proves it: through the App's install flow
 * (a signed state, the user's OAuth code, `GET /user/installations`), never by naming its id.
 * Workspace A installs the App; workspace B tries every other way to take it.
 */
describe('GitHub installations belong to the workspace that proves them', () => {
  let sim: GithubSimulator;
  let stack: Stack;
  let api: ReturnType<typeof client>;
  let a: Team;
  let b: Team;
  const installationId = () => String(sim.installationId);

  beforeAll(async () => {
    sim = await startGithubSimulator({ repos: 5, seed: 12 });
    stack = await startGithubStack(sim);
    api = client(stack.gateway.url);
    a = await createTeam(stack, 'alpha');
    b = await createTeam(stack, 'bravo');
    // Given workspace A installed the App through the install flow.
    const connected = await open(await installAs(stack, a.admin));
    expect(connected.status).toBe(201);
  });
  afterAll(async () => {
    await stack?.close();
    await sim?.close();
  });

  test('the install flow connects the installation for the workspace that asked', async () => {
    const listed = await api('GET', '/api/integrations', { token: a.viewer });
    expect(listed.body.integrations).toEqual([
      expect.objectContaining({
        provider: 'github',
        status: 'connected',
        config: { installationId: installationId(), accountLogin: sim.org.login },
      }),
    ]);
  });

  test('only an owner or admin gets an install URL; it carries a state, not a key', async () => {
    const refused = await api('POST', '/api/integrations/github/install', { token: a.member });
    expect(refused.status).toBe(403);
    const issued = await api('POST', '/api/integrations/github/install', { token: a.owner });
    expect(issued.status).toBe(201);
    const url = new URL(issued.body.installUrl);
    expect(url.pathname).toBe(`/apps/${sim.appSlug}/installations/new`);
    expect(url.searchParams.get('state')).toBe(issued.body.state);
    expect(issued.body.installUrl).not.toContain(a.owner);
    expect(Date.parse(issued.body.expiresAt)).toBeGreaterThan(Date.now());
  });

  test("B cannot take A's installation by posting its id and login", async () => {
    const taken = await api('POST', '/api/integrations/github/connect', {
      token: b.owner,
      body: { installationId: installationId(), accountLogin: sim.org.login },
    });
    expect(taken.status).toBe(403);
    expect(taken.body.error.code).toBe('install_flow_required');
    expect((await api('GET', '/api/integrations', { token: b.owner })).body.integrations).toEqual(
      [],
    );
  });

  test('guessing installation ids teaches B nothing: every guess gets the same answer', async () => {
    const guesses = ['1', '2', String(sim.installationId - 1), installationId(), '99999999'];
    const answers = await Promise.all(
      guesses.map((id) =>
        api('POST', '/api/integrations/github/connect', {
          token: b.admin,
          body: { installationId: id, accountLogin: sim.org.login },
        }),
      ),
    );
    expect(answers.map((r) => [r.status, r.body.error.code])).toEqual(
      guesses.map(() => [403, 'install_flow_required']),
    );
  });

  test('even through the install flow, an installation A holds is refused without naming A', async () => {
    const answer = await open(await installAs(stack, b.owner));
    expect(answer.status).toBe(409);
    expect(answer.body.error.code).toBe('installation_held');
    const said = JSON.stringify(answer.body);
    expect(said).not.toContain(a.workspaceId);
    expect(said).not.toContain('alpha');
    // And having passed the flow does not let the bare connect take it either.
    const bare = await api('POST', '/api/integrations/github/connect', {
      token: b.owner,
      body: { installationId: installationId(), accountLogin: sim.org.login },
    });
    expect(bare.status).toBe(409);
    expect(bare.body.error.code).toBe('installation_held');
  });

  test("B cannot scan A's installation or read its repositories", async () => {
    const scan = await api('POST', '/api/integrations/github/scan-org', { token: b.owner });
    expect([scan.status, scan.body.error.code]).toEqual([409, 'github_not_connected']);
    const repos = await api('GET', '/api/integrations/github/repos', { token: b.owner });
    expect(repos.status).toBe(404);
  });

  test('a GitHub user who cannot access the installation proves nothing', async () => {
    const c = await createTeam(stack, 'charlie');
    const answer = await open(await installAs(stack, c.owner, 'mallory'));
    expect(answer.status).toBe(403);
    expect(answer.body.error.code).toBe('installation_not_accessible');
  });

  test('a forged, tampered or expired state is refused before GitHub is asked anything', async () => {
    const setup = new URL(await installAs(stack, b.owner));
    const state = setup.searchParams.get('state')!;
    const withState = (value: string) => {
      const url = new URL(setup);
      url.searchParams.set('state', value);
      return url.toString();
    };
    // Signed with another secret.
    const forged = new InstallStateSigner('not-the-app-client-secret').sign({
      workspaceId: b.workspaceId,
      memberId: b.memberIds.owner,
      expiresAt: Date.now() + 60_000,
    });
    // B's own state with A's workspace put in, the signature kept.
    const [body, mac] = state.split('.');
    const claims = JSON.parse(Buffer.from(body!, 'base64url').toString('utf8'));
    const tampered = `${Buffer.from(JSON.stringify({ ...claims, w: a.workspaceId })).toString('base64url')}.${mac}`;
    // Genuinely signed, but past its expiry.
    const expired = new InstallStateSigner(sim.clientSecret).sign({
      workspaceId: b.workspaceId,
      memberId: b.memberIds.owner,
      expiresAt: Date.now() - 1_000,
    });
    for (const [value, code] of [
      [forged, 'invalid_state'],
      [tampered, 'invalid_state'],
      ['garbage', 'invalid_state'],
      [expired, 'state_expired'],
    ] as const) {
      const answer = await open(withState(value));
      expect([answer.status, answer.body.error.code]).toEqual([401, code]);
    }
    const missing = new URL(setup);
    missing.searchParams.delete('state');
    expect((await open(missing.toString())).status).toBe(400);
  });

  test('an OAuth code works once: the same Setup URL opened again is refused', async () => {
    const d = await createTeam(stack, 'delta');
    const setup = await installAs(stack, d.owner);
    expect((await open(setup)).status).toBe(409); // A holds it; the code was spent
    const again = await open(setup);
    expect([again.status, again.body.error.code]).toEqual([401, 'oauth_code_refused']);
  });

  test('a Setup URL without a code sends the browser on to GitHub for user authorization', async () => {
    const setup = new URL(await installAs(stack, b.owner));
    setup.searchParams.delete('code');
    const detour = await fetch(setup, { redirect: 'manual' });
    expect(detour.status).toBe(302);
    const authorize = new URL(detour.headers.get('location')!);
    expect(authorize.origin + authorize.pathname).toBe(`${sim.url}/login/oauth/authorize`);
    expect(authorize.searchParams.get('client_id')).toBe(sim.clientId);
    // GitHub comes back with a code and a state that now names the installation too.
    const back = await fetch(authorize, { redirect: 'manual' });
    const callback = new URL(back.headers.get('location')!);
    expect(callback.searchParams.get('code')).toBeTruthy();
    callback.searchParams.set('redirect_uri', ''); // ignored
    const answer = await open(
      `${stack.gateway.url}/api/integrations/github/setup?${new URLSearchParams({
        state: callback.searchParams.get('state')!,
        code: callback.searchParams.get('code')!,
      })}`,
    );
    expect([answer.status, answer.body.error.code]).toEqual([409, 'installation_held']);
  });

  test('two workspaces completing the flow for a free installation at once: exactly one wins', async () => {
    // Given A let the installation go.
    const released = await api('POST', '/api/integrations/github/disconnect', { token: a.owner });
    expect(released.status).toBe(200);
    const e = await createTeam(stack, 'echo');
    const f = await createTeam(stack, 'foxtrot');
    const urls = await Promise.all([installAs(stack, e.owner), installAs(stack, f.owner)]);
    const answers = await Promise.all(urls.map(open));
    expect(answers.map((r) => r.status).sort()).toEqual([201, 409]);
    const loser = answers.find((r) => r.status === 409)!;
    expect(loser.body.error.code).toBe('installation_held');
    const holders = await Promise.all(
      [e, f].map(
        async (team) =>
          (await api('GET', '/api/integrations', { token: team.owner })).body.integrations.length,
      ),
    );
    expect(holders.sort()).toEqual([0, 1]);
  });
});
