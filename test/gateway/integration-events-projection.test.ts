import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { DataSource } from 'typeorm';
import type { Envelope } from '#libs/contracts/src/index.js';
import { createDataSource, migrate } from '#libs/database/src/index.js';
import type { Db } from '#libs/projections/src/index.js';
import { PostgresFixture } from '#libs/testing/src/index.js';
import { integrationEventsProjection } from '../../apps/api-gateway/src/projections/index.js';
import { apiGateway } from '../../apps/api-gateway/src/service.js';

/** A lead's session on the real database that counts the statements sent through it. */
function countingSession(dataSource: DataSource): Db & { statements: string[] } {
  const statements: string[] = [];
  return {
    statements,
    query: (async (text: string, values?: unknown[]) => {
      statements.push(text.trim().split(/\s+/, 1)[0]!);
      return dataSource.query(text, values);
    }) as Db['query'],
  };
}

describe('the gateway projection of integration events, as the leader runs it', () => {
  let db: PostgresFixture;
  let dataSource: DataSource;
  let position = 0;

  beforeAll(async () => {
    db = await PostgresFixture.create('integration_events_projection');
    dataSource = createDataSource({
      url: db.url,
      schema: 'gateway',
      migrations: apiGateway.migrations,
      applicationName: 'integration-events-projection-test',
    });
    await dataSource.initialize();
    await migrate(dataSource, 'gateway');
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await db?.dispose();
  });

  const event = (
    type: string,
    integrationId: string,
    streamVersion: number,
    data: Record<string, unknown>,
  ): Envelope<string, unknown> => ({
    id: randomUUID(),
    type,
    schemaVersion: 1,
    occurredAt: new Date().toISOString(),
    workspaceId: randomUUID(),
    correlationId: 'c',
    causationId: null,
    position: String(++position),
    streamVersion,
    data: { integrationId, provider: 'slack', ...data },
  });
  const connected = (id: string, version: number) =>
    event('IntegrationConnected', id, version, {
      kind: 'notifications',
      profileName: 'Slack',
      config: {},
      settings: {},
      hasCredentials: true,
      firstConnect: version === 1,
      connectedAt: new Date().toISOString(),
    });
  const disconnected = (id: string, version: number) =>
    event('IntegrationDisconnected', id, version, {
      reason: null,
      disconnectedAt: new Date().toISOString(),
    });
  const checkpoint = () => ({
    projection: `test-${randomUUID()}`,
    position: String(position),
    streamSeq: position,
  });
  const statusOf = async (id: string) =>
    (await dataSource.query(`SELECT status FROM gateway.integrations WHERE id = $1`, [id]))[0]
      ?.status;

  test('given a row the lead wrote, when the next batch changes it, then one statement writes it, unread', async () => {
    const projection = integrationEventsProjection();
    const lead = countingSession(dataSource);
    const id = randomUUID();

    await projection.apply(lead, [connected(id, 1)], checkpoint());
    expect(lead.statements).toEqual(['SELECT', 'WITH']);

    lead.statements.length = 0;
    await projection.apply(lead, [disconnected(id, 2)], checkpoint());
    expect(lead.statements).toEqual(['WITH']);
    expect(await statusOf(id)).toBe('disconnected');
  });

  test('given rows another lead wrote, when this lead applies a batch, then it reads them first', async () => {
    const id = randomUUID();
    const before = integrationEventsProjection();
    await before.apply(countingSession(dataSource), [connected(id, 1)], checkpoint());

    const after = integrationEventsProjection();
    const lead = countingSession(dataSource);
    await after.apply(lead, [disconnected(id, 2)], checkpoint());
    expect(lead.statements).toEqual(['SELECT', 'WITH']);
    expect(await statusOf(id)).toBe('disconnected');
  });

  test('given the same projection in a new lead, when a batch names a row it wrote before, then it reads it again', async () => {
    const projection = integrationEventsProjection();
    const id = randomUUID();
    await projection.apply(countingSession(dataSource), [connected(id, 1)], checkpoint());
    // Another replica led in between and disconnected it.
    await integrationEventsProjection().apply(
      countingSession(dataSource),
      [disconnected(id, 2)],
      checkpoint(),
    );

    const lead = countingSession(dataSource);
    await projection.apply(lead, [connected(id, 3)], checkpoint());
    expect(lead.statements).toEqual(['SELECT', 'WITH']);
    expect(await statusOf(id)).toBe('connected');
  });
});
