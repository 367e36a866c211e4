import { describe, expect, test } from '@jest/globals';
import type { Envelope } from '#libs/contracts/src/index.js';
import { auditEntryOf, sortKeyAt, sortKeyOf } from './audit-entry.js';

const WORKSPACE = '6f1d2c3b-0000-4000-8000-000000000001';
const MEMBER = '6f1d2c3b-0000-4000-8000-000000000002';
const KEY = '6f1d2c3b-0000-4000-8000-000000000003';

const event = (type: string, data: unknown, extra: Partial<Envelope> = {}): Envelope => ({
  id: '6f1d2c3b-0000-4000-8000-0000000000aa',
  type,
  schemaVersion: 1,
  occurredAt: '2026-11-30T10:00:00.123Z',
  workspaceId: WORKSPACE,
  correlationId: 'req-1',
  causationId: null,
  actor: MEMBER,
  actorKeyId: KEY,
  position: '42',
  data,
  ...extra,
});

describe('what an event says in the audit log', () => {
  test('a credentials update is "credentials_rotated" and names no credential', () => {
    const entry = auditEntryOf(
      event('IntegrationUpdated', {
        integrationId: 'i-1',
        provider: 'ecr',
        changed: ['credentials'],
        profileName: 'registry',
        hasCredentials: true,
        updatedAt: '2026-11-30T10:00:00.123Z',
      }),
    )!;
    expect(entry).toMatchObject({
      action: 'credentials_rotated',
      resourceType: 'integration',
      actorType: 'member',
      actorKeyId: KEY,
    });
    expect(entry.changes).toEqual({ provider: 'ecr' });
  });

  test('a disconnect by a GitHub uninstall delivery has a system actor and the delivery as cause', () => {
    const entry = auditEntryOf(
      event(
        'IntegrationDisconnected',
        { integrationId: 'i-1', provider: 'github', reason: 'github_app_uninstalled' },
        { actor: 'github-webhook', actorKeyId: undefined, correlationId: 'delivery-1' },
      ),
    )!;
    expect(entry).toMatchObject({
      actorType: 'system',
      actor: 'github-webhook',
      actorLabel: 'GitHub uninstall delivery',
      actorKeyId: null,
      cause: { type: 'github_delivery', deliveryId: 'delivery-1' },
    });
  });

  test('a rule disabled by a disconnect points at it; a policy is named a policy', () => {
    const entry = auditEntryOf(
      event('RuleDisabled', {
        ruleId: 'r-1',
        reason: 'integration_disconnected',
        message: 'the github integration it depends on was disconnected',
        causeEventId: '6f1d2c3b-0000-4000-8000-0000000000bb',
        integrationId: 'i-1',
      }),
      () => 'policy',
    )!;
    expect(entry).toMatchObject({
      resourceType: 'policy',
      action: 'policy_disabled',
      causeEventId: '6f1d2c3b-0000-4000-8000-0000000000bb',
    });
  });

  test('progress and other events make no entry; neither does an event without a workspace', () => {
    expect(auditEntryOf(event('ScanProgress', { scanId: 's' }))).toBeUndefined();
    expect(
      auditEntryOf(event('ScanQueued', { scanId: 's' }, { workspaceId: null })),
    ).toBeUndefined();
  });

  test('an id that is not a UUID gets the same derived UUID every time', () => {
    const queued = () =>
      auditEntryOf(event('ScanQueued', { scanId: 's-1' }, { id: 's-1:queued' }))!.eventId;
    expect(queued()).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-a[0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(queued()).toBe(queued());
  });

  test('sort keys order by time, then log position, and time bounds fall between them', () => {
    const id = '6f1d2c3b-0000-4000-8000-0000000000aa';
    const a = sortKeyOf('2026-11-30T10:00:00.123Z', '9', id);
    const b = sortKeyOf('2026-11-30T10:00:00.123Z', '10', id);
    const c = sortKeyOf('2026-11-30T10:00:00.124Z', '1', id);
    expect([c, b, a].sort()).toEqual([a, b, c]);
    const bound = sortKeyAt(new Date('2026-11-30T10:00:00.124Z'));
    expect(b < bound && bound <= c).toBe(true);
  });
});
