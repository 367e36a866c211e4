import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import pg from 'pg';
import { IntegrationSubjects as I } from '#libs/contracts/src/index.js';
import { waitFor } from '#libs/testing/src/index.js';
import { ConnectedIntegrations } from '../src/providers/connected-integrations.js';
import { startHarness, value, type Harness } from './support/harness.js';

/**
 * The connected integration a rule's check reads, remembered by the integration service and
 * forgotten when Postgres notifies a change to the workspace's integrations.
 */
let h: Harness & { workspaceId: string };
let connected: ConnectedIntegrations;
/** Another session, as another replica or an operator's tool would write. */
let elsewhere: pg.Client;
/** Lookups of a connected integration that reached Postgres. */
let asked = 0;
const query = pg.Client.prototype.query;

beforeAll(async () => {
  h = await startHarness();
  connected = h.service.app.get(ConnectedIntegrations);
  elsewhere = new pg.Client({ connectionString: h.db.url });
  await elsewhere.connect();
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    const text = typeof args[0] === 'string' ? args[0] : (args[0] as { text?: string }).text;
    if (String(text).startsWith('SELECT view FROM integration.integrations')) asked++;
    return (query as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof query;
});
// Each test starts with the session listening, whatever the one before it did to it.
beforeEach(async () => {
  await waitFor(() => connected.isListening || undefined, { what: 'the listening session' });
});
afterAll(async () => {
  pg.Client.prototype.query = query;
  await elsewhere?.end();
  await h?.close();
});

async function connectedWorkspace(): Promise<string> {
  const workspaceId = randomUUID();
  value(
    await h.send(
      I.connect,
      { provider: 'github', payload: { installationId: String(Date.now()), accountLogin: 'a' } },
      { workspaceId },
    ),
  );
  return workspaceId;
}

/** Notifications arrive after the commit, not with it: lookups see a change soon after. */
async function untilLookupFinds(workspaceId: string, expected: 'one' | 'none', what: string) {
  await waitFor(
    async () => {
      const found = (await connected.lookup(workspaceId, 'github')) !== undefined;
      return found === (expected === 'one') ? true : undefined;
    },
    { timeoutMs: 5_000, what },
  );
}

describe('the connected integration a check reads', () => {
  test('given a connected integration, a second lookup is answered from memory', async () => {
    const workspaceId = await connectedWorkspace();
    // The connect's own notification may arrive during a lookup, which then is not kept: look
    // again until one is, and the one after it does not reach Postgres.
    await waitFor(
      async () => {
        const first = await connected.lookup(workspaceId, 'github');
        const before = asked;
        const second = await connected.lookup(workspaceId, 'github');
        expect(first?.status).toBe('connected');
        expect(second).toEqual(first);
        return asked === before ? true : undefined;
      },
      { timeoutMs: 5_000, what: 'a lookup answered from memory' },
    );
  });

  test('when another session disconnects it, the next lookups find none', async () => {
    const workspaceId = await connectedWorkspace();
    expect(await connected.lookup(workspaceId, 'github')).toBeDefined();
    await elsewhere.query(
      `UPDATE integration.integrations SET status = 'disconnected' WHERE workspace_id = $1`,
      [workspaceId],
    );
    await untilLookupFinds(workspaceId, 'none', 'the change to be notified');
  });

  test('when the service disconnects it, the next lookups find none', async () => {
    const workspaceId = await connectedWorkspace();
    expect(await connected.lookup(workspaceId, 'github')).toBeDefined();
    value(await h.send(I.disconnect, { provider: 'github' }, { workspaceId }));
    await untilLookupFinds(workspaceId, 'none', 'the disconnect to be notified');
  });

  test('while its session is not listening, every lookup asks Postgres, and a change made meanwhile is seen', async () => {
    const workspaceId = await connectedWorkspace();
    expect(await connected.lookup(workspaceId, 'github')).toBeDefined();
    await elsewhere.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
       WHERE application_name = 'integration-service:changes' AND datname = current_database()`,
    );
    await waitFor(() => (connected.isListening ? undefined : true), {
      intervalMs: 5,
      what: 'the listening session to be lost',
    });
    await elsewhere.query(
      `UPDATE integration.integrations SET status = 'disconnected' WHERE workspace_id = $1`,
      [workspaceId],
    );
    const before = asked;
    expect(await connected.lookup(workspaceId, 'github')).toBeUndefined();
    expect(await connected.lookup(workspaceId, 'github')).toBeUndefined();
    expect(asked - before).toBe(2);

    await waitFor(() => connected.isListening || undefined, {
      what: 'the session to listen again',
    });
    await elsewhere.query(
      `UPDATE integration.integrations SET status = 'connected' WHERE workspace_id = $1`,
      [workspaceId],
    );
    await untilLookupFinds(workspaceId, 'one', 'the reconnect to be seen');
  });
});
