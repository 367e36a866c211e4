import { describe, expect, test } from '@jest/globals';
import type { Envelope } from '#libs/contracts/src/index.js';
import {
  evolveIntegration,
  evolveRule,
  type IntegrationRow,
  type RuleRow,
} from '../../apps/api-gateway/src/projections/index.js';

let position = 100;
const event = (type: string, data: unknown, streamVersion: number): Envelope<string, unknown> => ({
  id: `e${++position}`,
  type,
  schemaVersion: 1,
  occurredAt: `2026-05-01T00:00:${String(position % 60).padStart(2, '0')}.000Z`,
  workspaceId: 'w1',
  correlationId: 'c',
  causationId: null,
  position: String(position),
  streamVersion,
  data,
});

const connected = (v: number, login = 'acme-org') =>
  event(
    'IntegrationConnected',
    {
      integrationId: 'i1',
      provider: 'github',
      kind: 'scm',
      profileName: 'GitHub',
      config: { installationId: '1', accountLogin: login },
      settings: { broker_enabled: false },
      hasCredentials: false,
      firstConnect: v === 1,
      connectedAt: '2026-05-01T00:00:00.000Z',
    },
    v,
  );

const upserted = <T>(change: unknown): T => (change as { upsert: T }).upsert;

describe('integration read model (pure)', () => {
  test('connect, disconnect, reconnect: status and times follow; created time stays', () => {
    let row = upserted<IntegrationRow>(evolveIntegration(undefined, connected(1)));
    expect(row).toMatchObject({ status: 'connected', workspaceId: 'w1', version: 1 });
    const createdAt = row.createdAt;
    row = upserted(
      evolveIntegration(
        row,
        event(
          'IntegrationDisconnected',
          { integrationId: 'i1', provider: 'github', reason: null, disconnectedAt: 'T2' },
          2,
        ),
      ),
    );
    expect(row).toMatchObject({ status: 'disconnected', disconnectedAt: 'T2', version: 2 });
    row = upserted(evolveIntegration(row, connected(3, 'renamed')));
    expect(row).toMatchObject({ status: 'connected', createdAt, version: 3 });
    expect(row.config.accountLogin).toBe('renamed');
  });

  test('a replayed or older event changes nothing; an event for an unknown row is ignored', () => {
    const row = upserted<IntegrationRow>(evolveIntegration(undefined, connected(1)));
    expect(evolveIntegration(row, connected(1))).toBeUndefined();
    expect(
      evolveIntegration(
        undefined,
        event('IntegrationDisconnected', { integrationId: 'i1', provider: 'github' }, 2),
      ),
    ).toBeUndefined();
  });

  test('updates patch; a delete removes the row', () => {
    let row = upserted<IntegrationRow>(evolveIntegration(undefined, connected(1)));
    row = upserted(
      evolveIntegration(
        row,
        event(
          'IntegrationSettingsUpdated',
          { integrationId: 'i1', settings: { broker_enabled: true }, updatedAt: 'T3' },
          2,
        ),
      ),
    );
    expect(row.settings.broker_enabled).toBe(true);
    expect(evolveIntegration(row, event('IntegrationDeleted', { integrationId: 'i1' }, 3))).toEqual(
      { delete: 'i1' },
    );
  });
});

describe('rule read model (pure)', () => {
  const created = (enabled: boolean, disabledReason: string | null = null) =>
    event(
      'RuleCreated',
      {
        ruleId: 'r1',
        name: 'stale',
        kind: 'rule',
        enforcement: null,
        definition: { name: 'stale' },
        providers: ['github', 'slack'],
        enabled,
        disabledReason,
        createdAt: 'T0',
      },
      1,
    );

  test('disabled by a disconnect: why, by which event and integration; enabled clears it', () => {
    let row = upserted<RuleRow>(evolveRule(undefined, created(true)));
    expect(row.enabled).toBe(true);
    row = upserted(
      evolveRule(
        row,
        event(
          'RuleDisabled',
          {
            ruleId: 'r1',
            reason: 'integration_disconnected',
            message: 'github was disconnected',
            provider: 'github',
            integrationId: 'i1',
            causeEventId: 'cause',
            disabledAt: 'T1',
          },
          2,
        ),
      ),
    );
    expect(row).toMatchObject({
      enabled: false,
      disabledReason: 'integration_disconnected',
      disabledMessage: 'github was disconnected',
      disabledByEventId: 'cause',
      disabledByIntegrationId: 'i1',
    });
    row = upserted(evolveRule(row, event('RuleEnabled', { ruleId: 'r1' }, 3)));
    expect(row).toMatchObject({ enabled: true, disabledReason: null, disabledByEventId: null });
  });

  test('disabled by hand names its own event; created disabled says why in words', () => {
    let row = upserted<RuleRow>(evolveRule(undefined, created(true)));
    const byHand = event(
      'RuleDisabled',
      {
        ruleId: 'r1',
        reason: 'manual',
        message: 'too noisy',
        provider: null,
        integrationId: null,
        causeEventId: null,
      },
      2,
    );
    row = upserted(evolveRule(row, byHand));
    expect(row.disabledByEventId).toBe(byHand.id);
    const off = upserted<RuleRow>(evolveRule(undefined, created(false, 'vercel is not connected')));
    expect(off).toMatchObject({ enabled: false, disabledMessage: 'vercel is not connected' });
    expect(evolveRule(off, event('RuleDeleted', { ruleId: 'r1' }, 2))).toEqual({ delete: 'r1' });
  });
});
