import { afterAll, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import {
  IntegrationSubjects,
  Streams,
  type Envelope,
  type ReplyError,
} from '#libs/contracts/src/index.js';
import { startService, type RunningService } from '#libs/service-kit/src/index.js';
import { decodeRequest, encodeReply } from '#libs/messaging/src/index.js';
import { NatsServerFixture, PostgresFixture, waitFor } from '#libs/testing/src/index.js';
import { WebhookCounters } from '../../apps/scanner-service/src/webhooks/index.js';
import { deadLetters } from '../../scripts/admin/dead-letters.js';
import { webhooksStats } from '../../scripts/admin/webhooks-stats.js';
import { serviceEnv } from '../support/service-env.js';
import { payloadFor, post, signedDelivery, untilInstallationMapped } from './support/deliveries.js';
import { IntegrationEventsPublisher } from './support/integration-events.js';
import { intakeGateway } from './support/intake-gateway.js';
import { processingScanner, RecordingInventory } from './support/processing-scanner.js';
import {
  startGithubSimulator,
  type GithubSimulator,
} from '../../tools/github-simulator/src/index.js';

const SECRET = 'processing-secret';
const INSTALLATION = 777;

/**
 * An uninstall delivery of its own: GitHub's body for a new event differs from an earlier one (its
 * installation's `updated_at`), while a replayed body is refused as a duplicate by the intake.
 */
let uninstalls = 0;
function anotherUninstall() {
  const payload = payloadFor(INSTALLATION, 'installation', 'deleted');
  payload.installation = {
    ...payload.installation,
    updated_at: new Date(Date.UTC(2026, 0, 1) + ++uninstalls * 1_000).toISOString(),
  };
  return payload;
}

describe('webhook processing in the scanner (real deliveries through the real intake)', () => {
  let nats: NatsServerFixture;
  let db: PostgresFixture;
  let sim: GithubSimulator;
  let github: Record<string, string>;
  let gateway: RunningService;
  let scanner: RunningService;
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  let events: IntegrationEventsPublisher;
  let inventory: RecordingInventory;
  let counters: WebhookCounters;
  let workspaceId: string;
  let integrationId: string;
  const disconnects: Envelope[] = [];
  /** Replies the integration-service stand-in gives before it answers ok, one per request. */
  const disconnectRefusals: ReplyError[] = [];

  const send = async (event: string, payload: Record<string, any>, deliveryId?: string) => {
    const delivery = await signedDelivery(SECRET, event, payload, deliveryId);
    const response = await post(gateway.url, delivery);
    expect(response.status).toBe(202);
    return delivery;
  };
  const processed = (deliveryId: string) =>
    waitFor(
      async () => {
        const rows = await db.query(
          `SELECT outcome, attempts FROM scanner.webhook_deliveries WHERE delivery_id = $1`,
          [deliveryId],
        );
        return rows[0]?.outcome && rows[0].outcome !== 'processing' ? rows[0] : undefined;
      },
      { what: `delivery ${deliveryId} to be processed` },
    );
  const callsFor = (method: string) => inventory.calls.filter((c) => c.method === method);

  beforeAll(async () => {
    nats = await NatsServerFixture.start();
    db = await PostgresFixture.create('webhooks_processing');
    // GitHub itself, for confirming uninstalls and suspensions (its App has INSTALLATION).
    sim = await startGithubSimulator({ repos: 2, installationId: INSTALLATION });
    github = {
      GITHUB_API_URL: sim.url,
      GITHUB_APP_ID: String(sim.appId),
      GITHUB_APP_PRIVATE_KEY_PATH: sim.privateKeyPath,
      GITHUB_RETRY_BASE_MS: '20',
    };
    const env = serviceEnv(nats, db, { GITHUB_WEBHOOK_SECRET: SECRET, ...github });
    scanner = await startService(processingScanner as any, env);
    gateway = await startService(intakeGateway as any, env);
    inventory = scanner.app.get(RecordingInventory);
    counters = scanner.app.get(WebhookCounters);
    nc = await connect({ servers: nats.url });
    jsm = await jetstreamManager(nc);
    // Stands in for the integration service's disconnect handler, answering as Nest would.
    nc.subscribe(IntegrationSubjects.disconnect, {
      callback: (_err, msg) => {
        const frame = decodeRequest(msg.string());
        disconnects.push(frame.data);
        const refusal = disconnectRefusals.shift();
        msg.respond(
          encodeReply(
            frame,
            refusal ? { ok: false, error: refusal } : { ok: true, value: { disabledRuleIds: [] } },
          ),
        );
      },
    });
    events = await IntegrationEventsPublisher.connect(nats.url);
    workspaceId = randomUUID();
    integrationId = await events.connected(workspaceId, INSTALLATION);
    await untilInstallationMapped(gateway.url, SECRET, INSTALLATION);
  });

  afterAll(async () => {
    await events?.close();
    await nc?.close();
    await gateway?.close();
    await scanner?.close();
    await nats?.dispose();
    await db?.dispose();
    await sim?.close();
  });

  beforeEach(() => {
    inventory.calls.length = 0;
    inventory.failAlways = false;
  });

  test('repository created: stored at once from the payload (then rescanned by the inventory)', async () => {
    const payload = payloadFor(INSTALLATION, 'repository', 'created');
    const d = await send('repository', payload);
    expect((await processed(d.deliveryId)).outcome).toBe('applied');
    expect(callsFor('upsertRepo')).toEqual([
      {
        method: 'upsertRepo',
        args: [
          workspaceId,
          expect.objectContaining({
            githubId: payload.repository.id,
            fullName: payload.repository.full_name,
            private: payload.repository.private,
          }),
        ],
      },
    ]);
  });

  test('installation_repositories added and removed: each repository upserted or removed', async () => {
    const added = payloadFor(INSTALLATION, 'installation_repositories', 'added');
    const d1 = await send('installation_repositories', added);
    expect((await processed(d1.deliveryId)).outcome).toBe('applied');
    expect(callsFor('upsertRepo').map((c) => (c.args[1] as any).fullName)).toEqual(
      added.repositories_added.map((r: any) => r.full_name),
    );
    const removed = payloadFor(INSTALLATION, 'installation_repositories', 'removed');
    const d2 = await send('installation_repositories', removed);
    expect((await processed(d2.deliveryId)).outcome).toBe('applied');
    expect(callsFor('removeRepo').map((c) => c.args[1])).toEqual(
      removed.repositories_removed.map((r: any) => r.id),
    );
  });

  test.each([
    ['repository', 'deleted', 'removeRepo'],
    ['repository', 'renamed', 'renameRepo'],
    ['repository', 'transferred', 'upsertRepo'],
    ['repository', 'archived', 'upsertRepo'],
    ['repository', 'unarchived', 'upsertRepo'],
    ['repository', 'publicized', 'upsertRepo'],
    ['repository', 'privatized', 'upsertRepo'],
    ['repository', 'edited', 'upsertRepo'],
    ['branch_protection_rule', 'created', 'rescanRepo'],
    ['repository_ruleset', 'created', 'rescanRepo'],
    ['member', 'added', 'rescanRepo'],
    ['team', 'added_to_repository', 'rescanRepo'],
    ['team_add', undefined, 'rescanRepo'],
    ['membership', 'removed', 'recomputePermissions'],
    ['organization', 'member_added', 'recomputePermissions'],
  ])('%s %s -> %s', async (event, action, method) => {
    const payload = payloadFor(INSTALLATION, event, action);
    // Each on a repository of its own, so no earlier test's version makes it stale.
    if (payload.repository) payload.repository.id = Math.floor(Math.random() * 1e9);
    const d = await send(event, payload);
    expect(['applied', 'recomputed']).toContain((await processed(d.deliveryId)).outcome);
    expect(inventory.calls.map((c) => c.method)).toContain(method);
  });

  test('other event types are acknowledged, not acted on, and counted by type', async () => {
    const before = counters.get('star', 'ignored');
    const d = await send('star', payloadFor(INSTALLATION, 'star', 'created'));
    const d2 = await send('installation', payloadFor(INSTALLATION, 'installation', 'unsuspend'));
    expect((await processed(d.deliveryId)).outcome).toBe('ignored');
    expect((await processed(d2.deliveryId)).outcome).toBe('ignored');
    expect(inventory.calls).toEqual([]);
    expect(disconnects.map((e) => e.causationId)).not.toContain(d2.deliveryId);
    expect(counters.get('star', 'ignored')).toBe(before + 1);
    const { deliveries } = (await webhooksStats.run([], { DATABASE_URL: db.url })) as any;
    expect(deliveries.star.ignored).toBeGreaterThanOrEqual(1);
    expect(deliveries.installation.ignored).toBeGreaterThanOrEqual(1);
  });

  test('the same delivery stored twice (e.g. after the dedupe window) is processed once', async () => {
    const payload = payloadFor(INSTALLATION, 'repository', 'created');
    payload.repository.id = 424242;
    const d = await send('repository', payload);
    await processed(d.deliveryId);
    const stored = await jsm.streams.getMessage(Streams.githubWebhooks.name, {
      last_by_subj: 'github.webhook.repository',
    });
    await jetstream(nc).publish('github.webhook.repository', stored!.data, {
      msgID: `${d.deliveryId}-again`,
    });
    const duplicates = counters.get('repository', 'duplicate');
    await waitFor(() => (counters.get('repository', 'duplicate') > duplicates ? true : undefined));
    expect(
      callsFor('upsertRepo').filter((c) => (c.args[1] as any).githubId === 424242),
    ).toHaveLength(1);
  });

  test('out of order for one repository: an older delivery never overwrites the newer state', async () => {
    const newer = payloadFor(INSTALLATION, 'repository', 'privatized');
    newer.repository.id = 515151;
    newer.repository.private = true;
    newer.repository.updated_at = '2026-01-02T10:00:00Z';
    const older = payloadFor(INSTALLATION, 'repository', 'publicized');
    older.repository.id = 515151;
    older.repository.private = false;
    older.repository.updated_at = '2026-01-02T09:00:00Z';

    const first = await send('repository', newer);
    expect((await processed(first.deliveryId)).outcome).toBe('applied');
    const late = await send('repository', older);
    expect((await processed(late.deliveryId)).outcome).toBe('stale');
    expect(inventory.repos.get(workspaceId)!.get(515151)!.private).toBe(true);

    // A deleted repository stays deleted whatever arrives after.
    const deleted = payloadFor(INSTALLATION, 'repository', 'deleted');
    deleted.repository.id = 515151;
    deleted.repository.updated_at = '2026-01-02T11:00:00Z';
    expect((await processed((await send('repository', deleted)).deliveryId)).outcome).toBe(
      'applied',
    );
    const edited = payloadFor(INSTALLATION, 'repository', 'edited');
    edited.repository.id = 515151;
    edited.repository.updated_at = '2026-01-03T00:00:00Z';
    expect((await processed((await send('repository', edited)).deliveryId)).outcome).toBe('stale');
    expect(inventory.repos.get(workspaceId)!.has(515151)).toBe(false);
  });

  test('a failing delivery is retried with backoff and applied once it succeeds', async () => {
    inventory.failNext(2);
    const retried = counters.get('branch_protection_rule', 'retried');
    const d = await send(
      'branch_protection_rule',
      payloadFor(INSTALLATION, 'branch_protection_rule', 'created'),
    );
    const row = await processed(d.deliveryId);
    expect(row).toEqual({ outcome: 'recomputed', attempts: 3 });
    expect(counters.get('branch_protection_rule', 'retried')).toBe(retried + 2);
    expect(callsFor('rescanRepo')).toHaveLength(1);
  });

  test('after N failed tries a delivery is parked; ops list it and replay it', async () => {
    inventory.failAlways = true;
    const payload = payloadFor(INSTALLATION, 'repository', 'created');
    payload.repository.id = 616161;
    const d = await send('repository', payload);
    const env = { NATS_URL: nats.url };
    const listed = await waitFor(
      async () => {
        const listed = (await deadLetters.run(['list'], env)) as any;
        return listed.deadLetters.find((x: any) => x.messageId === d.deliveryId);
      },
      { what: 'the delivery to be dead-lettered' },
    );
    expect(listed).toMatchObject({
      consumer: 'scanner-github-webhooks',
      stream: 'GITHUB_WEBHOOKS',
      subject: 'github.webhook.repository',
      workspaceId,
      attempts: 3,
      lastError: expect.stringContaining('GitHub answered 502'),
    });
    expect(
      await db.query(`SELECT 1 FROM scanner.webhook_deliveries WHERE delivery_id = $1`, [
        d.deliveryId,
      ]),
    ).toEqual([]);

    inventory.failAlways = false;
    const { replayed } = (await deadLetters.run(['replay', d.deliveryId], env)) as any;
    expect(replayed.messageId).toBe(d.deliveryId);
    expect((await processed(d.deliveryId)).outcome).toBe('applied');
    expect(inventory.repos.get(workspaceId)!.has(616161)).toBe(true);
    const after = (await deadLetters.run(['list'], env)) as any;
    expect(after.deadLetters.find((x: any) => x.messageId === d.deliveryId)).toBeUndefined();
    await expect(deadLetters.run(['replay', 'no-such-delivery'], env)).rejects.toThrow(
      /no dead letter no-such-delivery/,
    );
  });

  test('two scanner replicas share the consumer: each delivery is processed exactly once', async () => {
    const second = await startService(processingScanner as any, serviceEnv(nats, db, github));
    try {
      const other = second.app.get(RecordingInventory);
      const ids: number[] = [];
      const sent = [];
      for (let i = 0; i < 30; i++) {
        const payload = payloadFor(INSTALLATION, 'repository', 'created');
        payload.repository.id = 700_000 + i;
        ids.push(payload.repository.id);
        sent.push(await send('repository', payload));
      }
      for (const d of sent) await processed(d.deliveryId);
      const upserted = [...inventory.calls, ...other.calls]
        .filter((c) => c.method === 'upsertRepo')
        .map((c) => (c.args[1] as any).githubId)
        .filter((id: number) => id >= 700_000 && id < 700_030)
        .sort();
      expect(upserted).toEqual(ids);
    } finally {
      await second.close();
    }
  });

  test('deliveries stored while the scanner is down are processed when it is back', async () => {
    await scanner.close();
    const payload = payloadFor(INSTALLATION, 'repository', 'created');
    payload.repository.id = 818181;
    const d = await send('repository', payload);
    scanner = await startService(processingScanner as any, serviceEnv(nats, db, github));
    inventory = scanner.app.get(RecordingInventory);
    counters = scanner.app.get(WebhookCounters);
    expect((await processed(d.deliveryId)).outcome).toBe('applied');
    expect(inventory.repos.get(workspaceId)!.has(818181)).toBe(true);
  });

  test('an uninstall delivery for an installation GitHub still has disconnects nothing', async () => {
    const before = disconnects.length;
    // Signed and new (not a replay of an accepted body), but GitHub says the App is installed.
    const forged = payloadFor(INSTALLATION, 'installation', 'deleted');
    forged.sender = { ...forged.sender, login: 'mallory' };
    const delivery = await send('installation', forged);
    expect((await processed(delivery.deliveryId)).outcome).toBe('unconfirmed');
    expect(disconnects.length).toBe(before);
  });

  test('installation suspended or deleted, as GitHub confirms, asks the integration service to disconnect, caused by the delivery', async () => {
    // Given GitHub suspended, then removed, the App's installation.
    sim.suspendInstallation();
    const suspended = await send(
      'installation',
      payloadFor(INSTALLATION, 'installation', 'suspend'),
    );
    expect((await processed(suspended.deliveryId)).outcome).toBe('disconnected');
    sim.deleteInstallation();
    const deleted = await send('installation', payloadFor(INSTALLATION, 'installation', 'deleted'));
    expect((await processed(deleted.deliveryId)).outcome).toBe('disconnected');
    const [second, first] = disconnects.slice(-2);
    expect(first).toMatchObject({
      type: IntegrationSubjects.disconnect,
      workspaceId,
      causationId: deleted.deliveryId,
      correlationId: deleted.deliveryId,
      actor: 'github-webhook',
      data: { provider: 'github', integrationId, reason: 'github_app_uninstalled' },
    });
    expect(second!.data).toMatchObject({ reason: 'github_app_suspended' });
  });

  test('an uninstall whose disconnect loses a write race is retried, not dropped as done', async () => {
    // Given the integration service answers the first disconnect with a write-race conflict
    disconnectRefusals.push({
      kind: 'conflict',
      code: 'concurrent_modification',
      message: 'the resource kept changing while this command ran; retry it',
    });
    // and GitHub no longer has the installation
    sim.deleteInstallation();
    const before = disconnects.length;

    // When GitHub says the app was uninstalled
    const d = await send('installation', anotherUninstall());

    // Then the delivery is tried again and the disconnect is taken on the second try
    expect(await processed(d.deliveryId)).toEqual({ outcome: 'disconnected', attempts: 2 });
    expect(disconnects.slice(before).map((e) => e.causationId)).toEqual([
      d.deliveryId,
      d.deliveryId,
    ]);
  });

  test('an uninstall for an integration already disconnected is done at once', async () => {
    // Given the integration service says GitHub is not connected
    disconnectRefusals.push({
      kind: 'not_found',
      code: 'not_connected',
      message: 'github is not connected',
    });

    // and GitHub no longer has the installation
    sim.deleteInstallation();

    // When GitHub says the app was uninstalled
    const d = await send('installation', anotherUninstall());

    // Then the delivery is done on its first try
    expect(await processed(d.deliveryId)).toEqual({ outcome: 'disconnected', attempts: 1 });
  });
});
