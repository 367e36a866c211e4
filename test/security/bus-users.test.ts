import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { IntegrationSubjects } from '#libs/contracts/src/index.js';
import { NatsServerFixture, waitFor } from '#libs/testing/src/index.js';
import { busCredentials, inboxOf, type BusUser } from '#libs/messaging/src/index.js';
import { startStack, type Stack } from '../support/stack.js';
import { client, createTeam } from '../support/gateway-api.js';

/** A client holding one service's bus credentials, and the server errors it was sent. */
async function connectAs(nats: NatsServerFixture, user: BusUser) {
  const { NATS_USER, NATS_PASSWORD } = nats.credentials(user);
  const nc = await connect({ servers: nats.url, user: NATS_USER, pass: NATS_PASSWORD });
  const errors: string[] = [];
  void (async () => {
    for await (const status of nc.status()) {
      if (status.type === 'error') errors.push(String(status.error));
    }
  })();
  return { nc, errors };
}

describe('the bus has one user per service', () => {
  let nats: NatsServerFixture;
  const open: NatsConnection[] = [];

  beforeAll(async () => {
    nats = await NatsServerFixture.start({ users: true });
  });

  afterAll(async () => {
    for (const nc of open) await nc.close().catch(() => undefined);
    await nats?.dispose();
  });

  test('given no credentials or a wrong password, then the bus refuses the connection', async () => {
    await expect(connect({ servers: nats.url, reconnect: false })).rejects.toThrow(
      /Authorization Violation/i,
    );
    await expect(
      connect({ servers: nats.url, user: 'scanner-service', pass: 'guess', reconnect: false }),
    ).rejects.toThrow(/Authorization Violation/i);
  });

  test("given the scanner's credentials, when it publishes an integration command other than disconnect, then the bus refuses it; the gateway's may", async () => {
    const listener = await connectAs(nats, 'integration-service');
    open.push(listener.nc);
    const received: string[] = [];
    const subscription = listener.nc.subscribe('integrations.cmd.>', {
      callback: (_error, msg) => {
        received.push(`${msg.subject} ${msg.string()}`);
      },
    });
    await listener.nc.flush();

    const scanner = await connectAs(nats, 'scanner-service');
    open.push(scanner.nc);
    scanner.nc.publish(IntegrationSubjects.connect, 'from the scanner');
    scanner.nc.publish(IntegrationSubjects.delete, 'from the scanner');
    // The one integration command the scanner sends: an uninstalled App disconnects GitHub.
    scanner.nc.publish(IntegrationSubjects.disconnect, 'from the scanner');
    await scanner.nc.flush();

    const gateway = await connectAs(nats, 'api-gateway');
    open.push(gateway.nc);
    gateway.nc.publish(IntegrationSubjects.connect, 'from the gateway');
    await gateway.nc.flush();

    await waitFor(() => (received.length === 2 ? true : undefined), { timeoutMs: 5_000 });
    await listener.nc.flush();
    expect(received).toEqual([
      `${IntegrationSubjects.disconnect} from the scanner`,
      `${IntegrationSubjects.connect} from the gateway`,
    ]);
    await waitFor(() => (scanner.errors.length === 2 ? true : undefined), { timeoutMs: 5_000 });
    expect(scanner.errors).toEqual([
      expect.stringMatching(/Permissions Violation for Publish to "integrations\.cmd\.connect"/),
      expect.stringMatching(/Permissions Violation for Publish to "integrations\.cmd\.delete"/),
    ]);
    expect(gateway.errors).toEqual([]);
    subscription.unsubscribe();
  });

  test("given the integration service's credentials, then it may publish its own events but not the scanner's", async () => {
    const listener = await connectAs(nats, 'admin');
    open.push(listener.nc);
    const received: string[] = [];
    listener.nc.subscribe('*.evt.>', {
      callback: (_e, msg) => {
        received.push(msg.subject);
      },
    });
    await listener.nc.flush();
    const integration = await connectAs(nats, 'integration-service');
    open.push(integration.nc);
    integration.nc.publish('scanner.evt.scan-completed', '{}');
    integration.nc.publish('integrations.evt.integration-connected', '{}');
    await integration.nc.flush();
    await waitFor(() => (received.length === 1 ? true : undefined), { timeoutMs: 5_000 });
    expect(received).toEqual(['integrations.evt.integration-connected']);
    await waitFor(() => (integration.errors.length === 1 ? true : undefined), { timeoutMs: 5_000 });
    expect(integration.errors[0]).toMatch(/scanner\.evt\.scan-completed/);
  });

  test("given the scanner's credentials, then it may not read the integration service's commands nor another service's inbox, only its own", async () => {
    // Given the gateway sending a connect, whose body may carry a provider's credentials
    const integration = await connectAs(nats, 'integration-service');
    open.push(integration.nc);
    integration.nc.subscribe(IntegrationSubjects.connect, {
      callback: (_e, msg) => {
        msg.respond('{"ok":true}');
      },
    });
    await integration.nc.flush();
    const { NATS_USER, NATS_PASSWORD } = nats.credentials('api-gateway');
    const gateway = await connect({
      servers: nats.url,
      ...busCredentials({ NATS_USER, NATS_PASSWORD }),
    });
    open.push(gateway);

    // When the scanner subscribes to the commands, and to the gateway's inbox
    const scanner = await connectAs(nats, 'scanner-service');
    open.push(scanner.nc);
    const overheard: string[] = [];
    scanner.nc.subscribe(IntegrationSubjects.connect, {
      callback: (_e, m) => {
        overheard.push(m.subject);
      },
    });
    scanner.nc.subscribe(`${inboxOf('api-gateway')}.>`, {
      callback: (_e, m) => {
        overheard.push(m.subject);
      },
    });
    scanner.nc.subscribe(`${inboxOf('scanner-service')}.>`, { callback: () => undefined });
    await scanner.nc.flush();
    const reply = await gateway.request(IntegrationSubjects.connect, 'a bot token', {
      timeout: 5_000,
    });

    // Then the gateway's request is answered, the scanner overheard nothing, and the bus refused
    // exactly its two subscriptions outside its own
    expect(reply.string()).toBe('{"ok":true}');
    await waitFor(() => (scanner.errors.length === 2 ? true : undefined), { timeoutMs: 5_000 });
    expect(scanner.errors).toEqual([
      expect.stringMatching(
        /Permissions Violation for Subscription to "integrations\.cmd\.connect"/,
      ),
      expect.stringMatching(/Permissions Violation for Subscription to "_INBOX\.api-gateway\.>"/),
    ]);
    expect(overheard).toEqual([]);
  });
});

describe('the services on a bus with users', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack({}, { busUsers: true });
  });

  afterAll(async () => {
    await stack?.close();
  });

  test('given each service as its own bus user, then commands, events, projections and health all flow', async () => {
    const call = client(stack.gateway.url);
    const team = await createTeam(stack, 'acme');
    const connected = await call('POST', '/api/integrations/slack/connect', {
      token: team.owner,
      body: { botToken: 'xoxb-1111-2222-bus-users' },
    });
    expect(connected.status).toBe(201);
    const list = await call('GET', '/api/integrations', { token: team.viewer });
    expect(list.body.integrations).toEqual(
      expect.arrayContaining([expect.objectContaining({ provider: 'slack', status: 'connected' })]),
    );
    const ready = await call('GET', '/health/ready');
    expect(ready.status).toBe(200);
    const scan = await call('GET', '/api/integrations/github/scan-permissions', {
      token: team.owner,
    });
    // Not connected: the scanner answered over the bus (a 4xx of its own, not a 503 timeout).
    expect(scan.status).toBeLessThan(500);
  }, 60_000);
});
