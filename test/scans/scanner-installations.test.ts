import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import {
  createEnvelope,
  eventSubject,
  IntegrationEventTypes,
  IntegrationSubjects,
  ScannerSubjects,
  Streams,
  type ScanJob,
} from '#libs/contracts/src/index.js';
import { waitFor } from '#libs/testing/src/index.js';
import {
  SCAN_JOBS_CONSUMER,
  scanJobSubject,
} from '../../apps/scanner-service/src/scans/scan-jobs.js';
import { startScannerHarness, type ScannerHarness } from './support/scanner-harness.js';

/**
 * The scanner's record of GitHub installations, projected from the integration events: one row
 * per integration (a workspace may have several GitHub integrations through the Snyk REST API),
 * applied in log order once each.
 */
describe('the scanner follows GitHub integrations', () => {
  let h: ScannerHarness;
  let position = 0;

  /** Publishes an integration event as the integration service's publisher does. */
  const publish = async (
    type: string,
    workspaceId: string,
    data: Record<string, unknown>,
    { at = ++position, msgID }: { at?: number; msgID?: string } = {},
  ) => {
    const event = {
      ...createEnvelope({ type, workspaceId, data, actor: 'test' }),
      position: String(at),
    };
    await jetstream(h.nc).publish(
      eventSubject(IntegrationSubjects.events, type),
      JSON.stringify(event),
      {
        msgID: msgID ?? event.id,
      },
    );
    return event;
  };
  const connected = (integrationId: string) => ({
    integrationId,
    provider: 'github',
    kind: 'source_control',
    profileName: 'GitHub',
    config: { installationId: String(h.sim.installationId), accountLogin: h.sim.org.login },
    settings: { broker_enabled: false },
    hasCredentials: false,
    firstConnect: true,
    connectedAt: new Date().toISOString(),
  });
  const rowsOf = (workspaceId: string) =>
    h.db.query<{ integration_id: string; connected: boolean }>(
      `SELECT integration_id, connected FROM scanner.installations WHERE workspace_id = $1 ORDER BY integration_id`,
      [workspaceId],
    );
  /** Everything published so far is applied once the checkpoint reached the last position. */
  const caughtUp = () =>
    waitFor(
      async () => {
        const rows = await h.db.query<{ position: string }>(
          `SELECT position FROM scanner.projection_checkpoints WHERE projection = 'scanner-integrations'`,
        );
        return Number(rows[0]?.position ?? 0) >= position ? true : undefined;
      },
      { what: 'the scanner to apply every integration event' },
    );

  /** A new workspace's integration, connected then disconnected, both applied. */
  const connectedThenDisconnected = async () => {
    const workspaceId = randomUUID();
    const integrationId = randomUUID();
    const connect = await publish(
      IntegrationEventTypes.connected,
      workspaceId,
      connected(integrationId),
    );
    await publish(IntegrationEventTypes.disconnected, workspaceId, {
      integrationId,
      provider: 'github',
      reason: 'test',
      disconnectedAt: new Date().toISOString(),
    });
    await caughtUp();
    return { workspaceId, integrationId, connect };
  };

  beforeAll(async () => {
    h = await startScannerHarness({ repos: 3, seed: 5 });
  });
  afterAll(() => h.close());

  test('deleting one of two GitHub integrations leaves the other connected', async () => {
    // Given a workspace with two GitHub integrations
    const workspaceId = randomUUID();
    const [first, second] = [randomUUID(), randomUUID()].sort();
    await publish(IntegrationEventTypes.connected, workspaceId, connected(first!));
    await publish(IntegrationEventTypes.connected, workspaceId, connected(second!));

    // When the first is deleted
    await publish(IntegrationEventTypes.deleted, workspaceId, {
      integrationId: first,
      provider: 'github',
      credentialsShredded: true,
      orphanedTargets: 0,
      deletedAt: new Date().toISOString(),
    });
    await caughtUp();

    // Then only the first stops; the workspace can still scan through the second
    expect(await rowsOf(workspaceId)).toEqual([
      { integration_id: first, connected: false },
      { integration_id: second, connected: true },
    ]);
    const reply = await h.request<{ scanId: string }>(ScannerSubjects.scanOrg, workspaceId);
    expect(reply).toMatchObject({ ok: true });
  });

  test('a Connected published again after the Disconnected that followed it changes nothing', async () => {
    // Given an integration connected, then disconnected
    const { workspaceId, integrationId, connect } = await connectedThenDisconnected();
    expect(await rowsOf(workspaceId)).toEqual([
      { integration_id: integrationId, connected: false },
    ]);

    // When the Connected arrives once more (a republish outside the dedup window: same log
    // position, new message id), followed by an unrelated event
    await publish(IntegrationEventTypes.connected, workspaceId, connected(integrationId), {
      at: Number(connect.position),
      msgID: randomUUID(),
    });
    await publish(IntegrationEventTypes.connected, randomUUID(), connected(randomUUID()));
    await caughtUp();

    // Then the integration stays disconnected
    expect(await rowsOf(workspaceId)).toEqual([
      { integration_id: integrationId, connected: false },
    ]);
    const reply = await h.request(ScannerSubjects.scanOrg, workspaceId);
    expect(reply).toMatchObject({ ok: false, error: { code: 'github_not_connected' } });
  });

  test('a discovery job that arrives after its integration disconnected lists nothing, at once', async () => {
    // Given an integration connected, then disconnected, and the discovery its connect queued done
    const { workspaceId, integrationId } = await connectedThenDisconnected();
    const jsm = await jetstreamManager(h.nc);
    const idle = () =>
      waitFor(
        async () => {
          const info = await jsm.consumers.info(Streams.scannerJobs.name, SCAN_JOBS_CONSUMER);
          return info.num_pending + info.num_ack_pending === 0 ? info : undefined;
        },
        { what: 'the scan job queue to be idle' },
      );
    const before = await idle();
    h.sim.resetStats();

    // When its discovery job is delivered once more (late: redelivered, or queued again)
    const job: ScanJob = { kind: 'discover', workspaceId, integrationId };
    await jetstream(h.nc).publish(scanJobSubject(job.kind), JSON.stringify(job), {
      msgID: randomUUID(),
    });
    const after = await idle();

    // Then it is done in one delivery (not retried until its deliveries run out, waiting for a
    // connect that is over), having asked GitHub nothing
    expect(after.delivered.consumer_seq - before.delivered.consumer_seq).toBe(1);
    expect(h.sim.stats().requests).toBe(0);
  });
});
