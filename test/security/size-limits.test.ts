import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { BUS_LIMITS } from '#libs/contracts/src/index.js';
import { waitFor } from '#libs/testing/src/index.js';
import { eventsSetAside } from '../../scripts/admin/events-set-aside.js';
import { client, createTeam, type Team } from '../support/gateway-api.js';
import { startStack, type Stack } from '../support/stack.js';

/** A rule whose one condition compares against `bytes` characters. */
const ruleOfSize = (bytes: number) => ({
  name: 'Very particular CI status',
  trigger: { event: 'pull_request.opened' },
  conditions: [
    { provider: 'github', check: 'ci_status', operator: 'eq', value: 'x'.repeat(bytes) },
  ],
  actions: [{ provider: 'github', method: 'add_label', params: { label: 'odd' } }],
});

/**
 * Sizes from end to end: what a member posts is refused with 413 before anything is appended
 * when it exceeds its limit or the bus, and an event already in the log that the bus cannot carry
 * is set aside (listed for operators) while every other workspace's events keep flowing.
 */
describe('size limits from end to end', () => {
  let stack: Stack;
  let api: ReturnType<typeof client>;
  let team: Team;
  const eventCount = async () =>
    Number((await stack.db.query(`SELECT count(*) AS n FROM integration.events`))[0].n);

  beforeAll(async () => {
    stack = await startStack();
    api = client(stack.gateway.url);
    team = await createTeam(stack, 'sizes');
    const github = await api('POST', '/api/integrations/github/connect', {
      token: team.admin,
      body: { installationId: '4242', accountLogin: 'sizes-org' },
    });
    expect(github.status).toBe(201);
  });
  afterAll(async () => {
    await stack?.close();
  });

  test('a rule over its cap gets 413 naming the limit, and nothing is appended', async () => {
    const before = await eventCount();
    const answer = await api('POST', '/api/rules', {
      token: team.member,
      body: ruleOfSize(BUS_LIMITS.ruleBytes + 1_000),
    });
    expect(answer.status).toBe(413);
    expect(answer.body.error.code).toBe('rule_too_large');
    expect(answer.body.error.message).toContain(String(BUS_LIMITS.ruleBytes));
    expect(await eventCount()).toBe(before);
  });

  test('a request just under the body limit, too large for the bus, gets 413, never 503', async () => {
    const answer = await api('POST', '/api/rules', {
      token: team.member,
      body: ruleOfSize(1024 * 1024 - 2_000),
    });
    expect(answer.status).toBe(413);
    expect(answer.body.error.code).toBe('request_too_large');
  });

  test('an event too large for the bus is set aside; another workspace still sees its disconnect', async () => {
    // Given another workspace with Slack connected.
    const other = await createTeam(stack, 'bystander');
    const slack = await api('POST', '/api/integrations/slack/connect', {
      token: other.admin,
      body: { botToken: 'xoxb-1111-2222-bystander' },
    });
    expect(slack.status).toBe(201);
    // And an event in the log larger than any bus message (written before limits existed).
    const integrationId = randomUUID();
    const eventId = randomUUID();
    const [{ position }] = await stack.db.query(
      `INSERT INTO integration.events
         (stream_id, stream_version, event_id, type, schema_version, data, metadata, occurred_at)
       VALUES ($1, 1, $2, 'IntegrationUpdated', 1, $3, $4, now()) RETURNING position::text`,
      [
        `integration-${integrationId}`,
        eventId,
        JSON.stringify({
          integrationId,
          provider: 'slack',
          changed: ['profile_name'],
          profileName: 'y'.repeat(1_200_000),
          hasCredentials: false,
          updatedAt: new Date().toISOString(),
        }),
        JSON.stringify({
          workspaceId: team.workspaceId,
          correlationId: randomUUID(),
          causationId: null,
          actor: 'legacy-import',
        }),
      ],
    );
    // When the other workspace disconnects Slack, its list shows it: the stream moved on.
    const disconnected = await api('POST', '/api/integrations/slack/disconnect', {
      token: other.admin,
    });
    expect(disconnected.status).toBe(200);
    await waitFor(
      async () => {
        const listed = await api('GET', '/api/integrations?status=all', { token: other.viewer });
        const row = listed.body.integrations.find((i: any) => i.provider === 'slack');
        return row?.status === 'disconnected' ? true : undefined;
      },
      { what: "the bystander's disconnect in its list", timeoutMs: 15_000 },
    );
    // The publisher's checkpoint is past the large event: it is not retried for ever.
    await waitFor(async () => {
      const [row] = await stack.db.query(
        `SELECT position::text FROM integration.event_publisher_checkpoints WHERE name = 'jetstream'`,
      );
      return row && BigInt(row.position) > BigInt(position) ? true : undefined;
    });
    // And operators find the event that was set aside.
    const { events } = (await eventsSetAside.run([], { DATABASE_URL: stack.db.url })) as {
      events: any[];
    };
    expect(events).toEqual([
      expect.objectContaining({
        log: 'integration',
        eventId,
        type: 'IntegrationUpdated',
        workspaceId: team.workspaceId,
        reason: expect.stringMatching(/do not fit in one bus message/),
      }),
    ]);
    expect(events[0].bytes).toBeGreaterThan(1_200_000);
  });
});
