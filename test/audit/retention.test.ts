import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { DataSource } from 'typeorm';
import { loadConfig } from '#libs/config/src/index.js';
import {
  auditEntryOf,
  auditEnv,
  expireAuditEntries,
  insertEntries,
} from '../../apps/api-gateway/src/audit/index.js';
import { WorkspaceStore } from '../../apps/api-gateway/src/auth/index.js';
import { gatewaySchema } from '../support/gateway-schema.js';

const DAY = 86_400_000;
const daysAgo = (days: number) => new Date(Date.now() - days * DAY).toISOString();

/**
 * Retention against the gateway's real schema: entries older than the horizon go, except the
 * newest entry of each action of a resource that still exists (what its current state rests
 * on); the event logs themselves are never touched.
 */
describe('audit log retention', () => {
  let schema: Awaited<ReturnType<typeof gatewaySchema>>;
  let dataSource: DataSource;
  const workspaceId = randomUUID();
  const member = randomUUID();
  let position = 0;

  /** Records an event as the projection would, `days` ago; answers its event id. */
  const record = async (days: number, type: string, data: Record<string, unknown>) => {
    const id = randomUUID();
    const entry = auditEntryOf({
      id,
      type,
      schemaVersion: 1,
      occurredAt: daysAgo(days),
      workspaceId,
      correlationId: id,
      causationId: (data.causeEventId as string | undefined) ?? null,
      actor: member,
      position: String(++position),
      data,
    });
    await insertEntries(dataSource, [entry!]);
    return id;
  };
  const remaining = async () =>
    (
      await dataSource.query(
        `SELECT resource_id, action, occurred_at FROM gateway.audit_log
          WHERE workspace_id = $1 ORDER BY sort_key`,
        [workspaceId],
      )
    ).map(
      (r: any) => `${r.resource_id}:${r.action}:${Math.round((Date.now() - r.occurred_at) / DAY)}d`,
    );

  beforeAll(async () => {
    schema = await gatewaySchema('audit_retention');
    dataSource = schema.dataSource;
  });

  afterAll(async () => {
    await schema?.dispose();
  });

  test('the default keeps at least a year, and a deployment can change it', () => {
    const config = loadConfig(auditEnv, {});
    expect(config.AUDIT_RETENTION_DAYS).toBeGreaterThanOrEqual(365);
    expect(loadConfig(auditEnv, { AUDIT_RETENTION_DAYS: '30' }).AUDIT_RETENTION_DAYS).toBe(30);
    expect(() => loadConfig(auditEnv, { AUDIT_RETENTION_DAYS: '0' })).toThrow(
      /AUDIT_RETENTION_DAYS/,
    );
  });

  test('expiry removes old entries but keeps those behind current state', async () => {
    // Given a year and more of changes: GitHub connected long ago and still connected, its
    // settings changed then and lately; a rule disabled long ago by a disconnect; Slack
    // deleted long ago; an old scan; and a workspace event log that records members.
    const github = { integrationId: 'github-1', provider: 'github' };
    const connect = {
      ...github,
      kind: 'scm',
      profileName: 'GitHub',
      config: {},
      hasCredentials: false,
    };
    const settings = (on: boolean) => ({
      ...github,
      settings: { broker_enabled: on },
      changed: ['broker_enabled'],
    });
    await record(800, 'IntegrationConnected', { ...connect, firstConnect: true, settings: {} });
    await record(790, 'RuleCreated', {
      ruleId: 'rule-1',
      name: 'r',
      kind: 'rule',
      providers: ['github'],
      enabled: true,
    });
    const disconnect = await record(700, 'IntegrationDisconnected', { ...github, reason: null });
    await record(700, 'RuleDisabled', {
      ruleId: 'rule-1',
      reason: 'integration_disconnected',
      message: 'the github integration it depends on was disconnected',
      causeEventId: disconnect,
    });
    await record(600, 'IntegrationConnected', { ...connect, firstConnect: false });
    await record(500, 'IntegrationSettingsUpdated', settings(true));
    await record(10, 'IntegrationSettingsUpdated', settings(false));
    const slack = { integrationId: 'slack-1', provider: 'slack' };
    await record(900, 'IntegrationConnected', {
      ...slack,
      kind: 'chat',
      profileName: 'Slack',
      config: {},
      hasCredentials: true,
      firstConnect: true,
      settings: {},
    });
    await record(500, 'IntegrationDeleted', {
      ...slack,
      credentialsShredded: true,
      orphanedTargets: 0,
    });
    await record(450, 'ScanQueued', { scanId: 'scan-1' });
    await record(5, 'ScanQueued', { scanId: 'scan-2' });
    const store = new WorkspaceStore(dataSource);
    await store.createWorkspace('retention', 'owner@retention.io');
    const [{ n: logged }] = await dataSource.query(`SELECT count(*)::int AS n FROM gateway.events`);

    // When entries older than 400 days expire
    const removed = await expireAuditEntries(dataSource, new Date(Date.now() - 400 * DAY));

    // Then what GitHub and the rule are now still has its entries; the rest of the old is gone
    expect(await remaining()).toEqual(
      [
        'rule-1:rule_created:790d',
        'github-1:disconnected:700d',
        'rule-1:rule_disabled:700d',
        'github-1:connected:600d',
        'scan-2:scan_started:5d',
        'github-1:settings_updated:10d',
      ].sort(byAge),
    );
    expect(removed).toBe(5);
    // and the gateway's own event log is as it was
    const [{ n: after }] = await dataSource.query(`SELECT count(*)::int AS n FROM gateway.events`);
    expect(after).toBe(logged);
    await expect(dataSource.query(`DELETE FROM gateway.events`)).rejects.toThrow(/append-only/);
  });
});

/** Oldest first, as the sort key orders them. */
function byAge(a: string, b: string): number {
  return Number(b.split(':')[2]!.slice(0, -1)) - Number(a.split(':')[2]!.slice(0, -1));
}
