import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { startService, type RunningService } from '#libs/service-kit/src/index.js';
import { waitFor } from '#libs/testing/src/index.js';
import { apiGateway } from '../../apps/api-gateway/src/service.js';
import { startStack, type Stack } from '../support/stack.js';
import { client, createTeam, type Team } from '../support/gateway-api.js';

/** Two gateway replicas on one bus and one database, as behind a load balancer. */
describe('gateway replicas', () => {
  let stack: Stack;
  let second: RunningService;
  let acme: Team;

  beforeAll(async () => {
    stack = await startStack();
    second = await startService(apiGateway as any, stack.env);
    acme = await createTeam(stack, 'acme');
  });

  afterAll(async () => {
    await second?.close();
    await stack?.close();
  });

  const list = async (url: string) =>
    (await client(url)('GET', '/api/integrations?status=all', { token: acme.viewer })).body
      .integrations as any[];

  test('a write through one replica is read through the other at once, cache or not', async () => {
    const a = stack.gateway.url;
    const b = second.url;
    expect(await list(b)).toEqual([]); // cached on b now
    const connected = await client(a)('POST', '/api/integrations/github/connect', {
      token: acme.admin,
      body: { installationId: '1', accountLogin: 'acme' },
    });
    expect(connected.status).toBe(201);
    expect((await list(b)).map((i) => i.status)).toEqual(['connected']);
    const disconnected = await client(b)('POST', '/api/integrations/github/disconnect', {
      token: acme.admin,
    });
    expect(disconnected.status).toBe(200);
    expect((await list(a)).map((i) => i.status)).toEqual(['disconnected']);
  });

  test('one replica projects; when it stops, the other takes over and catches up', async () => {
    const held = async () =>
      Number(
        (
          await stack.db.query<{ n: string }>(
            `SELECT count(*) AS n FROM pg_locks
              WHERE locktype = 'advisory' AND granted
                AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
                AND objid = ((hashtext('projection:gateway-integration-events')::bigint) & 4294967295)::oid`,
          )
        )[0]!.n,
      );
    expect(await held()).toBe(1);
    await stack.gateway.close();
    await client(second.url)('POST', '/api/integrations/slack/connect', {
      token: acme.owner,
      body: { botToken: 'xoxb-1-2' },
    });
    const providers = await waitFor(
      async () => {
        const l = await list(second.url);
        return l.some((i) => i.provider === 'slack') ? l.map((i) => i.provider) : undefined;
      },
      { timeoutMs: 10_000, what: 'the remaining replica to project' },
    );
    expect(providers.sort()).toEqual(['github', 'slack']);
    expect(await held()).toBe(1);
  });
});
