import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { waitFor } from '#libs/testing/src/index.js';
import {
  startGithubSimulator,
  type GithubSimulator,
} from '../../tools/github-simulator/src/index.js';
import { startStack, type Stack } from '../support/stack.js';
import { client, createTeam, type Team } from '../support/gateway-api.js';
import { payloadFor, post, signedDelivery, untilInstallationMapped } from './support/deliveries.js';

const SECRET = 'e2e-webhook-secret';

/**
 * The whole path with the three services: GitHub changes something (the simulator), sends the
 * real delivery for it, the gateway verifies and stores it, the scanner applies it and rescans the
 * repository from the simulator, and `github/repos` shows it. An uninstall disconnects GitHub and
 * disables the rules that need it, as a manual disconnect does.
 */
describe('GitHub webhooks end to end', () => {
  let sim: GithubSimulator;
  let stack: Stack;
  let team: Team;
  let api: ReturnType<typeof client>;
  let org: string;

  const repos = async () =>
    (await api('GET', '/api/integrations/github/repos?per_page=100', { token: team.viewer })).body;
  const deliver = async (event: string, payload: Record<string, any>) => {
    const delivery = await signedDelivery(SECRET, event, payload);
    const response = await post(stack.gateway.url, delivery);
    expect(response.status).toBe(202);
    expect(response.body.status).toBe('accepted');
    return delivery;
  };
  /** A real `repository` payload about one of the simulator's repositories. */
  const repositoryPayload = (
    action: string,
    repo: { id: number; name: string; private: boolean },
  ) => {
    const payload = payloadFor(sim.installationId, 'repository', action);
    Object.assign(payload.repository, {
      id: repo.id,
      name: repo.name,
      full_name: `${org}/${repo.name}`,
      private: repo.private,
      visibility: repo.private ? 'private' : 'public',
      updated_at: new Date().toISOString(),
    });
    payload.repository.owner.login = org;
    return payload;
  };

  beforeAll(async () => {
    sim = await startGithubSimulator({ repos: 12, seed: 3 });
    org = sim.org.login;
    stack = await startStack({
      GITHUB_API_URL: sim.url,
      GITHUB_APP_ID: String(sim.appId),
      GITHUB_APP_PRIVATE_KEY_PATH: sim.privateKeyPath,
      GITHUB_RETRY_BASE_MS: '20',
      GITHUB_WEBHOOK_SECRET: SECRET,
    });
    api = client(stack.gateway.url);
    team = await createTeam(stack, 'hooks');
    const connected = await api('POST', '/api/integrations/github/connect', {
      token: team.owner,
      body: { installationId: String(sim.installationId), accountLogin: org },
    });
    expect(connected.status).toBe(201);
    await waitFor(async () => ((await repos())?.total === 12 ? true : undefined), {
      what: 'discovery after connect',
    });
    // The gateway maps the installation once it has seen the connect event.
    await untilInstallationMapped(stack.gateway.url, SECRET, sim.installationId);
  });

  afterAll(async () => {
    await stack?.close();
    await sim?.close();
  });

  test('repository created, renamed, privatized, deleted: github/repos follows each delivery', async () => {
    const template = sim.org.repos[0]!;
    const born = {
      ...template,
      id: 880_001,
      name: 'born-from-a-webhook',
      private: false,
      collaborators: [],
    };
    sim.org.repos.push(born);
    await deliver('repository', repositoryPayload('created', born));
    await waitFor(
      async () =>
        (await repos()).repos.some((r: any) => r.name === `${org}/born-from-a-webhook`)
          ? true
          : undefined,
      { what: 'the created repository in github/repos' },
    );

    born.name = 'renamed-by-a-webhook';
    await deliver('repository', repositoryPayload('renamed', born));
    const afterRename = await waitFor(async () => {
      const names = (await repos()).repos.map((r: any) => r.name);
      return names.includes(`${org}/renamed-by-a-webhook`) ? names : undefined;
    });
    expect(afterRename).not.toContain(`${org}/born-from-a-webhook`);

    born.private = true;
    await deliver('repository', repositoryPayload('privatized', born));
    await waitFor(async () => {
      const found = (await repos()).repos.find(
        (r: any) => r.name === `${org}/renamed-by-a-webhook`,
      );
      return found?.private === true ? found : undefined;
    });
    expect(found880001Id((await repos()).repos)).toBe('repo_880001');

    sim.org.repos.splice(sim.org.repos.indexOf(born), 1);
    await deliver('repository', repositoryPayload('deleted', born));
    await waitFor(async () => {
      const body = await repos();
      return body.total === 12 && !body.repos.some((r: any) => r.id === 'repo_880001')
        ? true
        : undefined;
    });
  });

  test('an uninstall disconnects GitHub with the delivery as cause and disables the rules that need it', async () => {
    const githubRule = await api('POST', '/api/rules', {
      token: team.admin,
      body: {
        name: 'Label old pull requests',
        trigger: { event: 'pull_request.opened' },
        conditions: [{ provider: 'github', check: 'pr.age', operator: 'gt', value: 48 }],
        actions: [{ provider: 'github', method: 'add_label', params: { label: 'stale' } }],
      },
    });
    expect(githubRule.status).toBe(201);
    const ruleId = githubRule.body.rule.id;

    // A signed uninstall while the App is still installed (forged, or a stale one) is asked of
    // GitHub, which still has the installation: nothing is disconnected.
    const forgedPayload = payloadFor(sim.installationId, 'installation', 'deleted');
    forgedPayload.sender = { ...forgedPayload.sender, login: 'mallory' };
    const forged = await deliver('installation', forgedPayload);
    const outcome = await waitFor(async () => {
      const [row] = await stack.db.query(
        `SELECT outcome FROM scanner.webhook_deliveries WHERE delivery_id = $1`,
        [forged.deliveryId],
      );
      return row && row.outcome !== 'processing' ? row.outcome : undefined;
    });
    expect(outcome).toBe('unconfirmed');
    const still = await api('GET', '/api/integrations', { token: team.viewer });
    expect(still.body.integrations.find((i: any) => i.provider === 'github').status).toBe(
      'connected',
    );
    expect(
      (await api('GET', `/api/rules/${ruleId}`, { token: team.viewer })).body.rule.enabled,
    ).toBe(true);

    // Then GitHub really removes the App, and tells us.
    sim.deleteInstallation();
    const uninstall = await deliver(
      'installation',
      payloadFor(sim.installationId, 'installation', 'deleted'),
    );
    const rule = await waitFor(
      async () => {
        const r = (await api('GET', `/api/rules/${ruleId}`, { token: team.viewer })).body.rule;
        return r?.enabled === false ? r : undefined;
      },
      { what: 'the GitHub rule to be disabled' },
    );
    expect(rule.disabled).toMatchObject({
      reason: 'integration_disconnected',
      byEventId: expect.any(String),
    });
    const all = await api('GET', '/api/integrations?status=all', { token: team.viewer });
    expect(all.body.integrations.find((i: any) => i.provider === 'github').status).toBe(
      'disconnected',
    );

    // The disconnect event is in the delivery's causation chain.
    const [event] = await stack.db.query(
      `SELECT event_id, metadata FROM integration.events WHERE type = 'IntegrationDisconnected'
       AND metadata->>'correlationId' = $1`,
      [uninstall.deliveryId],
    );
    expect(event).toBeDefined();
    expect(event!.metadata.actor).toBe('github-webhook');
    expect(rule.disabled.byEventId).toBe(event!.event_id);

    // Deliveries for the uninstalled installation are now acknowledged and not processed.
    await waitFor(async () => {
      const d = await signedDelivery(
        SECRET,
        'star',
        payloadFor(sim.installationId, 'star', 'created'),
      );
      return (await post(stack.gateway.url, d)).body.status === 'ignored' ? true : undefined;
    });
  });
});

function found880001Id(list: Array<{ id: string }>): string | undefined {
  return list.find((r) => r.id === 'repo_880001')?.id;
}
