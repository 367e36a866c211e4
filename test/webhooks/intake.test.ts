import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import pg from 'pg';
import { Streams } from '#libs/contracts/src/index.js';
import { startService, type RunningService } from '#libs/service-kit/src/index.js';
import { NatsServerFixture, PostgresFixture, waitFor } from '#libs/testing/src/index.js';
import { IntakeCounters } from '../../apps/api-gateway/src/webhooks/index.js';
import { serviceEnv } from '../support/service-env.js';
import {
  payloadFor,
  post,
  realPayload,
  signedDelivery,
  untilInstallationMapped,
} from './support/deliveries.js';
import { IntegrationEventsPublisher } from './support/integration-events.js';
import { intakeGateway } from './support/intake-gateway.js';
import { deadLetters } from '../../scripts/admin/dead-letters.js';

const SECRET = 'current-webhook-secret';
const PREVIOUS = 'previous-webhook-secret';
const INSTALLATION = 4242;

/** Every event type the scanner acts on, each from a real GitHub example. */
const REAL_DELIVERIES: [string, string | undefined][] = [
  ['installation', 'deleted'],
  ['installation', 'suspend'],
  ['installation', 'unsuspend'],
  ['installation_repositories', 'added'],
  ['installation_repositories', 'removed'],
  ['repository', 'created'],
  ['repository', 'deleted'],
  ['repository', 'renamed'],
  ['repository', 'transferred'],
  ['repository', 'archived'],
  ['repository', 'unarchived'],
  ['repository', 'publicized'],
  ['repository', 'privatized'],
  ['repository', 'edited'],
  ['branch_protection_rule', 'created'],
  ['repository_ruleset', 'created'],
  ['member', 'added'],
  ['membership', 'removed'],
  ['team', 'added_to_repository'],
  ['team_add', undefined],
  ['organization', 'member_added'],
  ['push', undefined],
  ['star', 'created'],
];

describe('POST /api/webhooks/github (intake)', () => {
  let nats: NatsServerFixture;
  let db: PostgresFixture;
  let gateway: RunningService;
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  let events: IntegrationEventsPublisher;
  let workspaceId: string;
  let integrationId: string;

  const storedCount = async () =>
    (await jsm.streams.info(Streams.githubWebhooks.name)).state.messages;

  beforeAll(async () => {
    nats = await NatsServerFixture.start();
    db = await PostgresFixture.create('webhooks_intake');
    gateway = await startService(
      intakeGateway as any,
      serviceEnv(nats, db, {
        GITHUB_WEBHOOK_SECRET: SECRET,
        GITHUB_WEBHOOK_SECRET_PREVIOUS: PREVIOUS,
      }),
    );
    nc = await connect({ servers: nats.url });
    jsm = await jetstreamManager(nc);
    events = await IntegrationEventsPublisher.connect(nats.url);
    workspaceId = randomUUID();
    integrationId = await events.connected(workspaceId, INSTALLATION);
    // The gateway learns of the connect from the bus.
    await untilInstallationMapped(gateway.url, SECRET, INSTALLATION);
  });

  afterAll(async () => {
    await events?.close();
    await nc?.close();
    await gateway?.close();
    await nats?.dispose();
    await db?.dispose();
  });

  test.each(REAL_DELIVERIES)(
    'a signed real %s %s delivery is stored on github.webhook.<event> under its delivery id, then 202',
    async (event, action) => {
      const delivery = await signedDelivery(SECRET, event, payloadFor(INSTALLATION, event, action));
      const response = await post(gateway.url, delivery);
      expect(response.status).toBe(202);
      expect(response.body).toEqual({ deliveryId: delivery.deliveryId, status: 'accepted' });

      const stored = await jsm.streams.getMessage(Streams.githubWebhooks.name, {
        last_by_subj: `github.webhook.${event}`,
      });
      expect(stored?.header?.get('Nats-Msg-Id')).toBe(delivery.deliveryId);
      const envelope = stored!.json<any>();
      expect(envelope).toMatchObject({
        id: delivery.deliveryId,
        type: 'GithubWebhookReceived',
        workspaceId,
        actor: 'github-webhook',
        data: {
          deliveryId: delivery.deliveryId,
          event,
          action: action ?? null,
          installationId: INSTALLATION,
          integrationId,
        },
      });
      expect(envelope.data.payload).toEqual(JSON.parse(delivery.body));
    },
  );

  test('a delivery signed with the previous secret is accepted during a rotation', async () => {
    const delivery = await signedDelivery(
      PREVIOUS,
      'star',
      payloadFor(INSTALLATION, 'star', 'created'),
    );
    expect((await post(gateway.url, delivery)).status).toBe(202);
  });

  test('forged, tampered and missing signatures get 401 and nothing reaches the bus', async () => {
    const before = await storedCount();
    const payload = payloadFor(INSTALLATION, 'repository', 'deleted');
    const forged = await signedDelivery('not-the-secret', 'repository', payload);
    const tampered = await signedDelivery(SECRET, 'repository', payload);
    tampered.body = tampered.body.replace('"deleted"', '"created"');
    const missing = await signedDelivery(SECRET, 'repository', payload);
    delete missing.headers['x-hub-signature-256'];
    const sha1Only = await signedDelivery(SECRET, 'repository', payload);
    sha1Only.headers['x-hub-signature'] = sha1Only.headers['x-hub-signature-256']!.replace(
      'sha256',
      'sha1',
    );
    delete sha1Only.headers['x-hub-signature-256'];

    for (const delivery of [forged, tampered, missing, sha1Only]) {
      const response = await post(gateway.url, delivery);
      expect(response.status).toBe(401);
      expect(response.body.error.code).toBe('invalid_signature');
    }
    expect(await storedCount()).toBe(before);
    expect(gateway.app.get(IntakeCounters).get('bad_signature')).toBeGreaterThanOrEqual(4);
  });

  test('the same delivery twice is stored once; the second answer says duplicate', async () => {
    const renamed = payloadFor(INSTALLATION, 'repository', 'renamed');
    renamed.repository.updated_at = new Date().toISOString();
    const delivery = await signedDelivery(SECRET, 'repository', renamed);
    const before = await storedCount();
    expect((await post(gateway.url, delivery)).body.status).toBe('accepted');
    const again = await post(gateway.url, delivery);
    expect(again.status).toBe(202);
    expect(again.body.status).toBe('duplicate');
    expect(await storedCount()).toBe(before + 1);
  });

  test('a captured body replayed under a new delivery id is a duplicate and is not stored', async () => {
    const payload = payloadFor(INSTALLATION, 'repository', 'publicized');
    payload.repository.updated_at = new Date().toISOString();
    const original = await signedDelivery(SECRET, 'repository', payload);
    const before = await storedCount();
    expect((await post(gateway.url, original)).body.status).toBe('accepted');
    // The attacker keeps the signed body and changes only X-GitHub-Delivery.
    const replayed = await signedDelivery(SECRET, 'repository', original.body);
    expect(replayed.deliveryId).not.toBe(original.deliveryId);
    const answer = await post(gateway.url, replayed);
    expect(answer.status).toBe(202);
    expect(answer.body).toMatchObject({ status: 'duplicate', reason: 'body_already_accepted' });
    expect(await storedCount()).toBe(before + 1);
  });

  test('a signed body that is not JSON, or not an object, gets 400 and is not stored', async () => {
    const before = await storedCount();
    for (const body of ['{"action": "created"', '[1,2,3]', 'payload=%7B%7D']) {
      const delivery = await signedDelivery(SECRET, 'repository', body);
      const response = await post(gateway.url, delivery);
      expect(response.status).toBe(400);
      expect(response.body.error.code).toBe('not_json');
    }
    const noEvent = await signedDelivery(SECRET, 'repository', payloadFor(INSTALLATION, 'star'));
    noEvent.headers['x-github-event'] = 'repo.*';
    expect((await post(gateway.url, noEvent)).status).toBe(400);
    expect(await storedCount()).toBe(before);
  });

  test('bodies over 25 MB get 413; a 2 MB one (above the gateway-wide 1 MB) is accepted', async () => {
    const big = payloadFor(INSTALLATION, 'push');
    big.commits = Array.from({ length: 2_500 }, (_, i) => ({
      ...realPayload('push').head_commit,
      id: String(i),
      message: 'x'.repeat(600),
    }));
    const twoMb = await signedDelivery(SECRET, 'push', big);
    expect(twoMb.body.length).toBeGreaterThan(2 * 1024 * 1024);
    const accepted = await post(gateway.url, twoMb);
    expect(accepted.status).toBe(202);
    // Larger than one bus message: stored with the parts processing reads.
    const stored = await jsm.streams.getMessage(Streams.githubWebhooks.name, {
      last_by_subj: 'github.webhook.push',
    });
    expect(stored!.json<any>().data).toMatchObject({ deliveryId: twoMb.deliveryId, slimmed: true });

    const tooBig = await signedDelivery(
      SECRET,
      'push',
      JSON.stringify({ padding: 'x'.repeat(25 * 1024 * 1024) }),
    );
    const before = await storedCount();
    const response = await post(gateway.url, tooBig);
    expect(response.status).toBe(413);
    expect(response.body.error.code).toBe('payload_too_large');
    expect(await storedCount()).toBe(before);
  });

  test('a delivery for an installation no workspace connected is acknowledged, counted, not stored', async () => {
    const before = await storedCount();
    const counters = gateway.app.get(IntakeCounters);
    const counted = counters.get('unknown_installation', 'repository');
    const delivery = await signedDelivery(
      SECRET,
      'repository',
      payloadFor(999_999, 'repository', 'created'),
    );
    const response = await post(gateway.url, delivery);
    expect(response.status).toBe(202);
    expect(response.body).toEqual({
      deliveryId: delivery.deliveryId,
      status: 'ignored',
      reason: 'unknown_installation',
    });
    expect(counters.get('unknown_installation', 'repository')).toBe(counted + 1);
    expect(await storedCount()).toBe(before);
    // Nor is its body remembered against replays: only owned deliveries are.
    expect(
      await db.query('SELECT 1 FROM gateway.github_webhook_bodies WHERE delivery_id = $1', [
        delivery.deliveryId,
      ]),
    ).toEqual([]);
  });

  test('after the workspace disconnects GitHub, its installation is unknown again', async () => {
    // Given another workspace connects installation 5151
    const other = randomUUID();
    const otherIntegration = await events.connected(other, 5151);
    const delivery = () => signedDelivery(SECRET, 'star', payloadFor(5151, 'star', 'created'));
    const accepted = await waitFor(
      async () => {
        const answer = await post(gateway.url, await delivery());
        return answer.body.status === 'accepted' ? answer : undefined;
      },
      { what: 'connect to be seen' },
    );
    expect(accepted.status).toBe(202);
    const stored = await jsm.streams.getMessage(Streams.githubWebhooks.name, {
      last_by_subj: 'github.webhook.star',
    });
    expect(stored!.json<any>()).toMatchObject({
      workspaceId: other,
      data: { installationId: 5151, integrationId: otherIntegration },
    });

    // When it disconnects
    await events.disconnected(other, otherIntegration);

    // Then deliveries for the installation are acknowledged as unknown and not stored
    const ignored = await waitFor(
      async () => {
        const d = await delivery();
        const answer = await post(gateway.url, d);
        return answer.body.status === 'ignored' ? { d, answer } : undefined;
      },
      { what: 'disconnect to be seen' },
    );
    expect(ignored.answer.status).toBe(202);
    expect(ignored.answer.body).toEqual({
      deliveryId: ignored.d.deliveryId,
      status: 'ignored',
      reason: 'unknown_installation',
    });
    const last = await jsm.streams.getMessage(Streams.githubWebhooks.name, {
      last_by_subj: 'github.webhook.star',
    });
    expect(last!.json<any>().id).not.toBe(ignored.d.deliveryId);
  });

  test('a connect the installation map cannot apply is parked, not skipped, and a replay applies it', async () => {
    // Given the map's table is away (as a failed migration or a dropped grant would leave it)
    await db.query(`ALTER TABLE gateway.github_installations RENAME TO github_installations_away`);
    let parked: { seq: number; consumer: string };
    const other = randomUUID();
    try {
      // When a workspace connects installation 6262
      await events.connected(other, 6262);

      // Then the map parks that event for itself, with the error, and says so in its status
      parked = await waitFor(
        async () => {
          const listed = (await deadLetters.run(
            ['list', '--consumer', 'gateway-github-installations'],
            { NATS_URL: nats.url },
          )) as {
            deadLetters: Array<{
              seq: number;
              consumer: string;
              workspaceId: string;
              lastError: string;
            }>;
          };
          return listed.deadLetters.find((d) => d.workspaceId === other);
        },
        { timeoutMs: 20_000, what: 'the connect to be parked' },
      );
      const readiness = (await (await fetch(`${gateway.url}/health/ready`)).json()) as any;
      expect(readiness.details.projections['gateway-github-installations'].parked).toBe(1);
    } finally {
      await db.query(
        `ALTER TABLE gateway.github_installations_away RENAME TO github_installations`,
      );
    }

    // When ops replay it once the table is back
    await deadLetters.run(['replay', String(parked.seq)], { NATS_URL: nats.url });

    // Then deliveries for the installation reach the workspace that connected it
    const answer = await waitFor(
      async () => {
        const d = await signedDelivery(SECRET, 'star', payloadFor(6262, 'star', 'created'));
        const r = await post(gateway.url, d);
        return r.body.status === 'accepted' ? r : undefined;
      },
      { what: 'the replayed connect to be applied' },
    );
    expect(answer.status).toBe(202);
  });

  test('a restarted gateway serves its installation map at once, however many rule events follow', async () => {
    await events.ruleCreated(workspaceId);
    await events.ruleCreated(workspaceId);
    const second = await startService(
      intakeGateway as any,
      serviceEnv(nats, db, { GITHUB_WEBHOOK_SECRET: SECRET }),
    );
    try {
      const starred = payloadFor(INSTALLATION, 'star', 'created');
      starred.starred_at = new Date().toISOString();
      const known = await signedDelivery(SECRET, 'star', starred);
      expect((await post(second.url, known)).body.status).toBe('accepted');
      const unknown = await signedDelivery(SECRET, 'star', payloadFor(31337, 'star', 'created'));
      const answer = await post(second.url, unknown);
      expect(answer.status).toBe(202);
      expect(answer.body.status).toBe('ignored');
    } finally {
      await second.close();
    }
  });

  test('a burst while the database cannot take it gets 503 with Retry-After, never 500; redelivered, it is stored', async () => {
    // Given: the replay table locked, so each delivery's insert waits and the pool runs dry.
    const locker = new pg.Client({ connectionString: db.url });
    await locker.connect();
    const burst = await Promise.all(
      Array.from({ length: 25 }, (_, i) => {
        const starred = payloadFor(INSTALLATION, 'star', 'created');
        starred.starred_at = new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString();
        return signedDelivery(SECRET, 'star', starred);
      }),
    );
    const before = await storedCount();
    let answers: Awaited<ReturnType<typeof post>>[];
    try {
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE gateway.github_webhook_bodies IN ACCESS EXCLUSIVE MODE');
      // When: the burst arrives while nothing can be written.
      answers = await Promise.all(burst.map((d) => post(gateway.url, d)));
    } finally {
      await locker.query('ROLLBACK');
      await locker.end();
    }
    // Then: every delivery is refused as "retry later", none stored.
    for (const answer of answers) {
      expect(answer.status).toBe(503);
      expect(answer.body.error.code).toBe('database_unavailable');
      expect(answer.headers.get('retry-after')).toBe('5');
    }
    expect(await storedCount()).toBe(before);
    // And GitHub's redeliveries (same ids, same bodies) are taken once the database is back.
    for (const delivery of burst) {
      const answer = await post(gateway.url, delivery);
      expect(answer.status).toBe(202);
      expect(answer.body.status).toBe('accepted');
    }
    expect(await storedCount()).toBe(before + burst.length);
  }, 60_000);

  test('with the bus down a delivery gets 503 with Retry-After (never 202); GitHub redelivers once it is back', async () => {
    const archived = payloadFor(INSTALLATION, 'repository', 'archived');
    archived.repository.updated_at = new Date().toISOString();
    const delivery = await signedDelivery(SECRET, 'repository', archived);
    await nats.stop();
    try {
      const response = await post(gateway.url, delivery);
      expect(response.status).toBe(503);
      expect(response.body.error.code).toBe('bus_unavailable');
      expect(response.headers.get('retry-after')).toBe('5');
    } finally {
      await nats.resume();
    }
    const redelivered = await waitFor(
      async () => {
        const r = await post(gateway.url, delivery);
        return r.status === 202 ? r : undefined;
      },
      { timeoutMs: 20_000, what: 'intake to take deliveries again' },
    );
    // The client may have flushed the first attempt once the bus came back: then it is a duplicate.
    expect(['accepted', 'duplicate']).toContain(redelivered.body.status);
    // The test's own connection reconnects on its own schedule.
    const stored = await waitFor(() =>
      jsm.streams.getMessage(Streams.githubWebhooks.name, {
        last_by_subj: 'github.webhook.repository',
      }),
    );
    expect(stored!.json<any>().id).toBe(delivery.deliveryId);
    void jetstream;
  });
});
