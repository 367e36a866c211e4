import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import pg from 'pg';
import {
  IntegrationSubjects as I,
  RuleSubjects as R,
  type DisconnectIntegrationResult,
  type RuleView,
} from '#libs/contracts/src/index.js';
import { startHarness, value, type Harness } from './support/harness.js';

/**
 * Round trips to Postgres per command, counted where they happen: every `query` call of a pg
 * client is one message to the server and one wait for its answer (a multi-statement text is
 * one). The publisher is stopped meanwhile so that only the command's own statements count.
 */
let h: Harness & { workspaceId: string };
let statements: string[] = [];
const query = pg.Client.prototype.query;

beforeAll(async () => {
  h = await startHarness();
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    const text = typeof args[0] === 'string' ? args[0] : (args[0] as { text?: string }).text;
    statements.push(String(text));
    return (query as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof query;
});
afterAll(async () => {
  pg.Client.prototype.query = query;
  await h?.close();
});

async function roundTrips(send: () => Promise<unknown>): Promise<number> {
  await h.writeSide.publisher.stop();
  statements = [];
  try {
    await send();
    return statements.length;
  } finally {
    h.writeSide.publisher.start();
  }
}

describe('round trips of the command path', () => {
  test('a first connect, a disconnect that disables a rule, and a reconnect take three each', async () => {
    value(await h.send(I.connect, { provider: 'slack', payload: { botToken: 'xoxb-1-2-3' } }));
    const github = { provider: 'github', payload: { installationId: '7', accountLogin: 'acme' } };

    expect(await roundTrips(async () => value(await h.send(I.connect, github)))).toBe(3);

    const rule = value(
      await h.send<RuleView>(R.create, {
        definition: {
          name: 'big PRs',
          trigger: { event: 'pull_request.opened' },
          conditions: [{ provider: 'github', check: 'pr.changed_lines', operator: 'gt', value: 1 }],
          actions: [
            { provider: 'slack', method: 'send_message', params: { channel: '#e', text: 'hi' } },
          ],
        },
      }),
    );
    expect(rule.enabled).toBe(true);

    let disconnected: DisconnectIntegrationResult | undefined;
    const disconnect = await roundTrips(async () => {
      disconnected = value(
        await h.send<DisconnectIntegrationResult>(I.disconnect, { provider: 'github' }),
      );
    });
    expect(disconnected!.disabledRuleIds).toEqual([rule.id]);
    expect(disconnect).toBe(3);

    expect(await roundTrips(async () => value(await h.send(I.connect, github)))).toBe(3);
  });
});
