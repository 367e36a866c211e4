import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import {
  IntegrationSubjects as S,
  Streams,
  type Envelope,
  type HistoryEntry,
  type IntegrationView,
} from '#libs/contracts/src/index.js';
import { waitFor } from '#libs/testing/src/index.js';
import { eventStoreConflictsRetried } from '#libs/observability/src/metrics/event-store.js';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import {
  CredentialsShreddedError,
  CredentialVault,
  DATA_KEYS_TABLE,
  type SealedCredentials,
} from '../src/credentials/credential-vault.js';
import { MasterKeyring } from '../src/credentials/master-keyring.js';
import { foldStream, loadAggregate, type StoredEvent } from '#libs/event-store/src/index.js';
import { integrations } from '../src/integrations/integration.decider.js';
import { initialIntegration } from '../src/integrations/integration.state.js';
import { errorOf, startHarness, value, type Harness } from './support/harness.js';

const foldIntegration = (id: string, events: readonly StoredEvent[]) =>
  foldStream(integrations, initialIntegration(id), events);

let h: Harness & { workspaceId: string };
const github = { installationId: '12345678', accountLogin: 'acme-org' };
/** An installation of its own per workspace: one installation belongs to one workspace. */
const githubOf = (workspaceId: string) => ({
  installationId: String(parseInt(workspaceId.replace(/-/g, '').slice(0, 12), 16)),
  accountLogin: 'acme-org',
});
/** Retried conflicts of the integration log, as the metric counts them. */
const conflictsCounted = async () =>
  (await eventStoreConflictsRetried.get()).values.find((v) => v.labels.schema === 'integration')
    ?.value ?? 0;
const ECR = { region: 'us-east-1', role_arn: 'arn:aws:iam::123456789012:role/scanner-secret-role' };
const SLACK_TOKEN = 'xoxb-1111-2222-supersecretslacktoken';

beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

describe('connect and disconnect by provider', () => {
  test('connect GitHub, then a second connect is a conflict', async () => {
    const reply = await h.send<IntegrationView>(S.connect, { provider: 'github', payload: github });
    const view = value(reply);
    expect(view).toMatchObject({
      provider: 'github',
      kind: 'scm',
      status: 'connected',
      config: github,
      workspaceId: h.workspaceId,
      hasCredentials: false,
      version: 1,
      settings: { broker_enabled: false },
    });
    expect(reply.ok && reply.position).toMatch(/^\d+$/);
    expect(errorOf(await h.send(S.connect, { provider: 'github', payload: github }))).toMatchObject(
      {
        kind: 'conflict',
        code: 'already_connected',
      },
    );
  });

  test('bad input: unknown provider names the known ones, bad payload names each field', async () => {
    const unknown = errorOf(await h.send(S.connect, { provider: 'jira', payload: {} }));
    expect(unknown.kind).toBe('not_found');
    expect(unknown.message).toMatch(/github, slack, vercel/);
    const bad = errorOf(
      await h.send(S.connect, { provider: 'github', payload: { installationId: 'abc', extra: 1 } }),
    );
    expect(bad.kind).toBe('validation');
    expect((bad.details as { field: string }[]).map((d) => d.field).sort()).toEqual([
      'accountLogin',
      'extra',
      'installationId',
    ]);
    expect(errorOf(await h.send(S.connect, 'not an object' as unknown)).kind).toBe('validation');
    const noWorkspace = await h.send(S.list, {}, { workspaceId: '' });
    expect(errorOf(noWorkspace).code).toBe('workspace_required');
  });

  test('disconnect, then a second disconnect is not found; reconnect keeps the same integration', async () => {
    const first = value(
      await h.send<IntegrationView>(S.connect, {
        provider: 'vercel',
        payload: { token: 'vercel-token-1' },
      }),
    );
    const off = value(
      await h.send<{ integration: IntegrationView }>(S.disconnect, { provider: 'vercel' }),
    );
    expect(off.integration.status).toBe('disconnected');
    expect(errorOf(await h.send(S.disconnect, { provider: 'vercel' }))).toMatchObject({
      kind: 'not_found',
      code: 'not_connected',
    });
    const again = value(
      await h.send<IntegrationView>(S.connect, {
        provider: 'vercel',
        payload: { token: 'vercel-token-2' },
      }),
    );
    expect(again.id).toBe(first.id);
    expect(again.version).toBe(3);
  });

  test('another workspace sees none of it', async () => {
    // Given a workspace with GitHub connected
    const mineId = randomUUID();
    const mine = value(
      await h.send<IntegrationView>(
        S.connect,
        { provider: 'github', payload: githubOf(mineId) },
        { workspaceId: mineId },
      ),
    );
    // Then another workspace can neither list, read, nor disconnect it
    const other = randomUUID();
    expect(value(await h.send<IntegrationView[]>(S.list, {}, { workspaceId: other }))).toEqual([]);
    expect(
      errorOf(await h.send(S.get, { integrationId: mine.id }, { workspaceId: other })).kind,
    ).toBe('not_found');
    expect(
      errorOf(await h.send(S.history, { integrationId: mine.id }, { workspaceId: other })).kind,
    ).toBe('not_found');
    expect(
      errorOf(await h.send(S.disconnect, { provider: 'github' }, { workspaceId: other })).kind,
    ).toBe('not_found');
  });
});

describe('concurrency', () => {
  test('concurrent connects and disconnects on one integration: a clean alternating history', async () => {
    const workspaceId = randomUUID();
    const retriedBefore = h.writeSide.commands.versionConflictsRetried;
    const countedBefore = await conflictsCounted();
    const commands = Array.from({ length: 32 }, (_, i) =>
      i % 2 === 0
        ? h.send(S.connect, { provider: 'github', payload: githubOf(workspaceId) }, { workspaceId })
        : h.send(S.disconnect, { provider: 'github' }, { workspaceId }),
    );
    const replies = await Promise.all(commands);
    for (const reply of replies) {
      if (!reply.ok)
        expect(['already_connected', 'not_connected', 'concurrent_modification']).toContain(
          reply.error.code,
        );
    }
    const succeeded = replies.filter((r) => r.ok).length;
    expect(succeeded).toBeGreaterThan(0);
    // The race really happened: appends collided on the stream and were retried on fresh state.
    expect(h.writeSide.commands.versionConflictsRetried).toBeGreaterThan(retriedBefore);
    // ... and ops see each retry on /metrics (event_store_conflicts_retried_total).
    expect((await conflictsCounted()) - countedBefore).toBe(
      h.writeSide.commands.versionConflictsRetried - retriedBefore,
    );

    const [integration] = value(await h.send<IntegrationView[]>(S.list, {}, { workspaceId }));
    const history = value(
      await h.send<HistoryEntry[]>(S.history, { integrationId: integration!.id }, { workspaceId }),
    );
    // Every success appended exactly one event; every failure appended nothing.
    expect(history).toHaveLength(succeeded);
    expect(history.map((e) => e.streamVersion)).toEqual(history.map((_, i) => i + 1));
    history.forEach((e, i) =>
      expect(e.type).toBe(i % 2 === 0 ? 'IntegrationConnected' : 'IntegrationDisconnected'),
    );
    expect(integration!.status).toBe(history.length % 2 === 1 ? 'connected' : 'disconnected');
    expect(integration!.version).toBe(history.length);
  });

  test('the first connect racing itself creates one integration, the rest are conflicts', async () => {
    const workspaceId = randomUUID();
    const replies = await Promise.all(
      Array.from({ length: 6 }, () =>
        h.send<IntegrationView>(
          S.connect,
          { provider: 'github', payload: githubOf(workspaceId) },
          { workspaceId },
        ),
      ),
    );
    expect(replies.filter((r) => r.ok)).toHaveLength(1);
    expect(value(await h.send<IntegrationView[]>(S.list, {}, { workspaceId }))).toHaveLength(1);
  });
});

describe('racing first connects with credentials', () => {
  test('one creates the integration and its data key, the others are conflicts, never errors', async () => {
    const workspaceId = randomUUID();
    const replies = await Promise.all(
      Array.from({ length: 6 }, () =>
        h.send(
          S.connect,
          { provider: 'slack', payload: { botToken: SLACK_TOKEN } },
          { workspaceId },
        ),
      ),
    );
    expect(replies.filter((r) => r.ok)).toHaveLength(1);
    for (const r of replies.filter((r) => !r.ok)) {
      expect(errorOf(r).code).toMatch(/already_connected|concurrent_modification/);
    }
  });
});

describe('idempotency keys', () => {
  test('the same key answers the same reply and appends nothing; another request under it is a conflict', async () => {
    const workspaceId = randomUUID();
    const key = randomUUID();
    const first = await h.send<IntegrationView>(
      S.connect,
      { provider: 'github', payload: githubOf(workspaceId) },
      { workspaceId, idempotencyKey: key },
    );
    const second = await h.send<IntegrationView>(
      S.connect,
      { provider: 'github', payload: githubOf(workspaceId) },
      { workspaceId, idempotencyKey: key },
    );
    expect(second).toEqual(first);
    const id = value(first).id;
    expect(
      value(await h.send<HistoryEntry[]>(S.history, { integrationId: id }, { workspaceId })),
    ).toHaveLength(1);
    const reused = await h.send(
      S.disconnect,
      { provider: 'github' },
      { workspaceId, idempotencyKey: key },
    );
    expect(errorOf(reused).code).toBe('idempotency_key_reused');
    // Concurrent duplicates of one keyed request: one append, identical answers.
    const key2 = randomUUID();
    const racing = await Promise.all(
      Array.from({ length: 5 }, () =>
        h.send(S.disconnect, { provider: 'github' }, { workspaceId, idempotencyKey: key2 }),
      ),
    );
    for (const r of racing) expect(r).toEqual(racing[0]);
    expect(
      value(await h.send<HistoryEntry[]>(S.history, { integrationId: id }, { workspaceId })),
    ).toHaveLength(2);
  });
});

describe('integrations of the Snyk REST API: create, update, settings, hard delete', () => {
  let ecr: IntegrationView;

  test('create validates credentials for shape', async () => {
    const bad = errorOf(
      await h.send(S.create, {
        integration_type: 'ecr',
        profile_name: 'prod',
        credentials: { region: 'mars-1', role_arn: 'nope' },
      }),
    );
    expect(bad.kind).toBe('validation');
    expect((bad.details as { field: string }[]).map((d) => d.field)).toEqual([
      'credentials.region',
      'credentials.role_arn',
    ]);
    expect(
      (
        errorOf(
          await h.send(S.create, { integration_type: 'svn', profile_name: 'x', credentials: {} }),
        ).details as { field: string }[]
      )[0]!.field,
    ).toBe('integration_type');
    ecr = value(
      await h.send<IntegrationView>(S.create, {
        integration_type: 'ecr',
        profile_name: 'prod registry',
        credentials: ECR,
      }),
    );
    expect(ecr).toMatchObject({
      provider: 'ecr',
      kind: 'container-registry',
      profileName: 'prod registry',
      status: 'connected',
      hasCredentials: true,
    });
    expect(ecr.settings).toEqual({ broker_enabled: false, container_app_scan_enabled: false });
    expect(JSON.stringify(ecr)).not.toContain('scanner-secret-role');
  });

  test('update is partial; integration_type is immutable; credentials merge over the stored ones', async () => {
    const immutable = errorOf(
      await h.send(S.update, { integrationId: ecr.id, integration_type: 'acr' }),
    );
    expect(immutable).toMatchObject({ kind: 'validation' });
    expect((immutable.details as { field: string }[])[0]!.field).toBe('integration_type');

    const renamed = value(
      await h.send<IntegrationView>(S.update, {
        integrationId: ecr.id,
        profile_name: 'production',
      }),
    );
    expect(renamed.profileName).toBe('production');
    const rotated = value(
      await h.send<IntegrationView>(S.update, {
        integrationId: ecr.id,
        credentials: { region: 'eu-west-1' },
      }),
    );
    expect(rotated.version).toBe(3);
    const bad = errorOf(
      await h.send(S.update, { integrationId: ecr.id, credentials: { role_arn: 'arn:nope' } }),
    );
    expect((bad.details as { field: string }[])[0]!.field).toBe('credentials.role_arn');

    // The stored credentials now hold the new region and the old role, both only in ciphertext.
    const vault = new CredentialVault(
      MasterKeyring.fromConfig({ CREDENTIALS_MASTER_KEY: h.env.CREDENTIALS_MASTER_KEY }),
      DATA_KEYS_TABLE,
    );
    const rows = await h.db.query<{ sealed: SealedCredentials }>(
      `SELECT sealed FROM integration.events WHERE stream_id = $1 AND sealed IS NOT NULL ORDER BY stream_version`,
      [`integration-${ecr.id}`],
    );
    expect(rows).toHaveLength(2);
    expect(await vault.open(h.writeSide.pool, ecr.id, rows[1]!.sealed)).toEqual({
      ...ECR,
      region: 'eu-west-1',
    });
  });

  test('settings: container_app_scan_enabled only for registries', async () => {
    const updated = value(
      await h.send<IntegrationView>(S.updateSettings, {
        integrationId: ecr.id,
        settings: { container_app_scan_enabled: true },
      }),
    );
    expect(updated.settings.container_app_scan_enabled).toBe(true);
    const gh = value(await h.send<IntegrationView[]>(S.list, { provider: 'github' }))[0]!;
    const refused = errorOf(
      await h.send(S.updateSettings, {
        integrationId: gh.id,
        settings: { container_app_scan_enabled: true },
      }),
    );
    expect(refused.kind).toBe('validation');
    expect((refused.details as { field: string; message: string }[])[0]).toMatchObject({
      field: 'settings.container_app_scan_enabled',
      message: expect.stringMatching(/container registry/),
    });
  });

  test('credentials never appear in clear text in the log or on the bus', async () => {
    value(await h.send(S.connect, { provider: 'slack', payload: { botToken: SLACK_TOKEN } }));
    const raw = await h.db.query<{ row: string }>(
      `SELECT e::text AS row FROM integration.events e`,
    );
    const all = raw.map((r) => r.row).join('\n');
    for (const secret of [
      SLACK_TOKEN,
      'supersecretslacktoken',
      'scanner-secret-role',
      '123456789012',
      'eu-west-1',
      'us-east-1',
    ]) {
      expect(all).not.toContain(secret);
    }
    expect(all).toContain('"ciphertext"');

    const nc = await connect({ servers: h.nats.url });
    try {
      const jsm = await jetstreamManager(nc);
      await h.writeSide.publisher.waitFor(
        (await h.db.query(`SELECT max(position)::text AS p FROM integration.events`))[0]!.p,
      );
      const info = await jsm.streams.info(Streams.integrationEvents.name);
      let published = '';
      for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
        published += (await jsm.streams.getMessage(Streams.integrationEvents.name, {
          seq,
        }))!.string();
      }
      expect(published).toContain('IntegrationCreated');
      expect(published).not.toContain(SLACK_TOKEN);
      expect(published).not.toContain('scanner-secret-role');
      expect(published).not.toContain('ciphertext');
    } finally {
      await nc.close();
    }
  });

  test('events are published in order with position, stream and version, on their subjects', async () => {
    const nc = await connect({ servers: h.nats.url });
    try {
      const jsm = await jetstreamManager(nc);
      const last = (await h.db.query(`SELECT max(position)::text AS p FROM integration.events`))[0]!
        .p;
      await h.writeSide.publisher.waitFor(last);
      const info = await jsm.streams.info(Streams.integrationEvents.name);
      const envelopes: Envelope[] = [];
      const subjects: string[] = [];
      for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
        const msg = (await jsm.streams.getMessage(Streams.integrationEvents.name, { seq }))!;
        envelopes.push(msg.json<Envelope>());
        subjects.push(msg.subject);
      }
      const count = (await h.db.query(`SELECT count(*)::int AS n FROM integration.events`))[0]!.n;
      expect(envelopes).toHaveLength(count);
      const positions = envelopes.map((e) => BigInt(e.position!));
      expect([...positions].sort((a, b) => (a < b ? -1 : 1))).toEqual(positions);
      expect(subjects).toContain('integrations.evt.integration-connected');
      const connected = envelopes.find((e) => e.type === 'IntegrationConnected')!;
      expect(connected).toMatchObject({
        streamVersion: expect.any(Number),
        streamId: expect.stringMatching(/^integration-/),
        actor: 'member-1',
      });
    } finally {
      await nc.close();
    }
  });

  test('delete refuses while broker mode is on', async () => {
    value(
      await h.send(S.updateSettings, { integrationId: ecr.id, settings: { broker_enabled: true } }),
    );
    const refused = errorOf(await h.send(S.delete, { integrationId: ecr.id }));
    expect(refused).toMatchObject({ kind: 'conflict', code: 'broker_enabled' });
    value(
      await h.send(S.updateSettings, {
        integrationId: ecr.id,
        settings: { broker_enabled: false },
      }),
    );
  });

  test('hard delete shreds the data key: the credentials in the log can no longer be decrypted', async () => {
    const deleted = value(
      await h.send<{ integrationId: string; orphanedTargets: number }>(S.delete, {
        integrationId: ecr.id,
      }),
    );
    expect(deleted).toMatchObject({ integrationId: ecr.id, orphanedTargets: 0 });
    expect(errorOf(await h.send(S.get, { integrationId: ecr.id })).kind).toBe('not_found');
    expect(errorOf(await h.send(S.update, { integrationId: ecr.id, profile_name: 'x' })).kind).toBe(
      'not_found',
    );
    expect(
      await h.db.query(`SELECT 1 FROM integration.data_keys WHERE integration_id = $1`, [ecr.id]),
    ).toHaveLength(0);

    const sealed = await h.db.query<{ sealed: SealedCredentials }>(
      `SELECT sealed FROM integration.events WHERE stream_id = $1 AND sealed IS NOT NULL`,
      [`integration-${ecr.id}`],
    );
    expect(sealed.length).toBeGreaterThan(0);
    const vault = new CredentialVault(
      MasterKeyring.fromConfig({ CREDENTIALS_MASTER_KEY: h.env.CREDENTIALS_MASTER_KEY }),
      DATA_KEYS_TABLE,
    );
    for (const row of sealed) {
      await expect(vault.open(h.writeSide.pool, ecr.id, row.sealed)).rejects.toBeInstanceOf(
        CredentialsShreddedError,
      );
    }
    // The audit trail survives the delete, without secrets.
    const history = value(await h.send<HistoryEntry[]>(S.history, { integrationId: ecr.id }));
    expect(history.at(-1)).toMatchObject({
      type: 'IntegrationDeleted',
      data: { credentialsShredded: true },
    });
  });
});

describe('connecting again after a hard delete', () => {
  test('creates a new integration; the deleted one stays gone', async () => {
    const workspaceId = randomUUID();
    const first = value(
      await h.send<IntegrationView>(
        S.connect,
        { provider: 'github', payload: githubOf(workspaceId) },
        { workspaceId },
      ),
    );
    value(await h.send(S.delete, { integrationId: first.id }, { workspaceId }));
    const second = value(
      await h.send<IntegrationView>(
        S.connect,
        { provider: 'github', payload: githubOf(workspaceId) },
        { workspaceId },
      ),
    );
    expect(second.id).not.toBe(first.id);
    expect(second.version).toBe(1);
    const listed = value(await h.send<IntegrationView[]>(S.list, {}, { workspaceId }));
    expect(listed.map((i) => i.id)).toEqual([second.id]);
    expect(errorOf(await h.send(S.get, { integrationId: first.id }, { workspaceId })).kind).toBe(
      'not_found',
    );
  });
});

describe('snapshots', () => {
  test('a load from the snapshot and the events after it equals a fold of the whole stream', async () => {
    const workspaceId = randomUUID();
    const as = { workspaceId };
    for (let i = 0; i < 5; i++) {
      value(await h.send(S.connect, { provider: 'slack', payload: { botToken: SLACK_TOKEN } }, as));
      value(await h.send(S.disconnect, { provider: 'slack', reason: `round ${i}` }, as));
    }
    const view = value(
      await h.send<IntegrationView>(
        S.connect,
        { provider: 'slack', payload: { botToken: SLACK_TOKEN } },
        as,
      ),
    );
    const stream = () => h.writeSide.store.readStream(`integration-${view.id}`);
    const fullFold = async () => foldIntegration(view.id, await stream());
    const load = () => loadAggregate(h.writeSide.store, integrations, view.id);
    const [row] = await h.db.query<{ snapshot: { version: number } }>(
      'SELECT snapshot FROM integration.integrations WHERE id = $1',
      [view.id],
    );
    expect(row!.snapshot.version).toBe(11);
    expect(await load()).toEqual(await fullFold());

    // A snapshot behind the stream is caught up from the events after it.
    const behind = foldIntegration(view.id, (await stream()).slice(0, 7));
    await h.db.query('UPDATE integration.integrations SET snapshot = $2 WHERE id = $1', [
      view.id,
      JSON.stringify(behind),
    ]);
    expect(behind.status).toBe('connected');
    expect(await load()).toEqual(await fullFold());

    // A snapshot of another shape is ignored: the whole stream is folded.
    await h.db.query(
      `UPDATE integration.integrations SET snapshot = '{"version": 11}', snapshot_schema = 0
       WHERE id = $1`,
      [view.id],
    );
    expect(await load()).toEqual(await fullFold());
    // ... and the next command writes a current one again.
    value(await h.send(S.disconnect, { provider: 'slack' }, as));
    expect(await load()).toEqual(await fullFold());
    expect((await load()).status).toBe('disconnected');
  });
});

describe('upcasting', () => {
  test('a version-1 IntegrationConnected row in the log still loads, in the current shape', async () => {
    const id = randomUUID();
    await h.db.query(
      `INSERT INTO integration.events (stream_id, stream_version, event_id, type, schema_version, data, metadata, occurred_at)
       VALUES ($1, 1, $2, 'IntegrationConnected', 1, $3, $4, now())`,
      [
        `integration-${id}`,
        randomUUID(),
        JSON.stringify({
          integrationId: id,
          provider: 'github',
          installationId: '42',
          accountLogin: 'old-org',
          connectedAt: '2025-01-01T00:00:00.000Z',
        }),
        JSON.stringify({
          workspaceId: h.workspaceId,
          correlationId: randomUUID(),
          causationId: null,
          actor: 'system',
        }),
      ],
    );
    const events = await h.writeSide.store.readStream(`integration-${id}`);
    expect(events[0]!.schemaVersion).toBe(2);
    const state = foldIntegration(id, events);
    expect(state).toMatchObject({
      provider: 'github',
      status: 'connected',
      config: { installationId: '42', accountLogin: 'old-org' },
      profileName: 'GitHub (old-org)',
    });
  });
});

describe('publisher outage', () => {
  test('commands still commit while the publisher is down; on restart every event goes out once', async () => {
    const nc = await connect({ servers: h.nats.url });
    try {
      const jsm = await jetstreamManager(nc);
      const before = (
        await h.db.query(`SELECT max(position)::text AS p FROM integration.events`)
      )[0]!.p;
      await h.writeSide.publisher.waitFor(before);
      await h.writeSide.publisher.stop();
      const messagesBefore = (await jsm.streams.info(Streams.integrationEvents.name)).state
        .messages;

      const workspaceId = randomUUID();
      value(
        await h.send(
          S.connect,
          { provider: 'github', payload: githubOf(workspaceId) },
          { workspaceId },
        ),
      );
      value(await h.send(S.disconnect, { provider: 'github' }, { workspaceId }));
      value(
        await h.send(
          S.connect,
          { provider: 'github', payload: githubOf(workspaceId) },
          { workspaceId },
        ),
      );
      await new Promise((r) => setTimeout(r, 100));
      expect((await jsm.streams.info(Streams.integrationEvents.name)).state.messages).toBe(
        messagesBefore,
      );

      h.writeSide.publisher.start();
      const last = (await h.db.query(`SELECT max(position)::text AS p FROM integration.events`))[0]!
        .p;
      await h.writeSide.publisher.waitFor(last);
      const info = await jsm.streams.info(Streams.integrationEvents.name);
      expect(info.state.messages).toBe(messagesBefore + 3);
      const mine: string[] = [];
      for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
        const e = (await jsm.streams.getMessage(Streams.integrationEvents.name, {
          seq,
        }))!.json<Envelope>();
        if (e.workspaceId === workspaceId) mine.push(e.type);
      }
      expect(mine).toEqual([
        'IntegrationConnected',
        'IntegrationDisconnected',
        'IntegrationConnected',
      ]);
    } finally {
      h.writeSide.publisher.start();
      await nc.close();
    }
  });
});

describe('idle publisher keeps up', () => {
  test('every appended event reaches JetStream', async () => {
    // Given a connect and a disconnect of this test's own, after whatever the log already holds
    const workspaceId = randomUUID();
    const send = (subject: string, data: unknown) =>
      h.send<unknown>(subject, data, { workspaceId }).then(value);
    await send(S.connect, { provider: 'slack', payload: { botToken: SLACK_TOKEN } });
    await send(S.disconnect, { provider: 'slack' });
    const appended = await h.db.query<{ id: string; position: string }>(
      `SELECT event_id::text AS id, position::text FROM integration.events ORDER BY position`,
    );
    const last = appended.at(-1)!.position;

    // When the idle publisher has caught up with the log
    await waitFor(() =>
      BigInt(h.writeSide.publisher.position) >= BigInt(last) ? true : undefined,
    );

    // Then the stream holds each of them, under its own id and log position
    const nc = await connect({ servers: h.nats.url });
    try {
      const jsm = await jetstreamManager(nc);
      const { state } = await jsm.streams.info(Streams.integrationEvents.name);
      const onStream = new Map<string, string>();
      for (let seq = state.first_seq; seq <= state.last_seq; seq++) {
        const msg = await jsm.streams.getMessage(Streams.integrationEvents.name, { seq });
        const envelope = msg!.json<{ id: string; position: string }>();
        onStream.set(envelope.id, envelope.position);
      }
      expect(appended.length).toBeGreaterThanOrEqual(2);
      for (const event of appended) expect(onStream.get(event.id)).toBe(event.position);
    } finally {
      await nc.close();
    }
  });
});
