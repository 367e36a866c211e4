import { describe, expect, test } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import {
  createEnvelope,
  RuleEventTypes,
  type RuleCreatedData,
  type RuleDefinition,
} from '#libs/contracts/src/index.js';
import type { Event } from '#libs/projections/src/index.js';
import {
  evolveCatalogRow,
  foldCatalog,
  ruleCatalogProjection,
  type CatalogRow,
} from '../src/rules/rule-catalog.projection.js';

const workspaceId = 'ws-spec';
const definition: RuleDefinition = {
  name: 'Pushes to Slack',
  kind: 'rule',
  trigger: { event: 'push' },
  conditions: [],
  actions: [{ provider: 'slack', method: 'send_message', params: { channel: '#eng', text: 'x' } }],
};

function event(type: string, data: object, streamVersion: number, occurredAt: string): Event {
  return {
    ...createEnvelope({ type, data, workspaceId, occurredAt }),
    position: String(streamVersion),
    streamVersion,
  };
}

const created = (ruleId: string, enabled = true, version = 1): Event =>
  event(
    RuleEventTypes.created,
    {
      ruleId,
      name: definition.name,
      kind: 'rule',
      enforcement: null,
      definition,
      providers: ['slack'],
      enabled,
      disabledReason: enabled ? null : 'slack is not connected',
      createdAt: '2025-01-01T00:00:00.000Z',
    } satisfies RuleCreatedData,
    version,
    '2025-01-01T00:00:00.000Z',
  );
const enabled = (ruleId: string, version: number, at: string) =>
  event(RuleEventTypes.enabled, { ruleId, enabledAt: at }, version, at);
const disabled = (ruleId: string, version: number, at: string, reason = 'manual') =>
  event(
    RuleEventTypes.disabled,
    {
      ruleId,
      reason,
      message: 'disabled',
      provider: null,
      integrationId: null,
      causeEventId: null,
      disabledAt: at,
    },
    version,
    at,
  );
const deleted = (ruleId: string, version: number, at: string) =>
  event(RuleEventTypes.deleted, { ruleId, deletedAt: at }, version, at);

describe('the rule catalog projection, event by event', () => {
  test('given no row, when a rule is created, then its row holds the rule as the engine runs it', () => {
    const ruleId = randomUUID();
    expect(evolveCatalogRow(undefined, created(ruleId))).toEqual({
      id: ruleId,
      workspace_id: workspaceId,
      name: 'Pushes to Slack',
      kind: 'rule',
      enabled: true,
      deleted: false,
      trigger_event: 'push',
      definition,
      version: 1,
      active_since: '2025-01-01T00:00:00.000Z',
      updated_at: '2025-01-01T00:00:00.000Z',
    });
  });

  test('given no row, when a rule is created disabled, then it is kept disabled', () => {
    expect(evolveCatalogRow(undefined, created(randomUUID(), false))).toMatchObject({
      enabled: false,
      deleted: false,
    });
  });

  test('given a rule disabled by a disconnect, when it is enabled again, then it runs from then on', () => {
    const ruleId = randomUUID();
    const rows = foldCatalog(new Map(), [
      created(ruleId),
      disabled(ruleId, 2, '2025-01-02T00:00:00.000Z', 'integration_disconnected'),
      enabled(ruleId, 3, '2025-01-03T00:00:00.000Z'),
    ]);
    expect(rows).toEqual([
      expect.objectContaining({
        id: ruleId,
        enabled: true,
        version: 3,
        active_since: '2025-01-03T00:00:00.000Z',
        updated_at: '2025-01-03T00:00:00.000Z',
      }),
    ]);
  });

  test('given a rule, when it is disabled, then it stops running and keeps when it was last enabled', () => {
    const ruleId = randomUUID();
    const row = evolveCatalogRow(undefined, created(ruleId))!;
    expect(evolveCatalogRow(row, disabled(ruleId, 2, '2025-01-02T00:00:00.000Z'))).toEqual({
      ...row,
      enabled: false,
      version: 2,
      updated_at: '2025-01-02T00:00:00.000Z',
    });
  });

  test('given a rule, when it is deleted, then it is marked deleted and not enabled', () => {
    const ruleId = randomUUID();
    const row = evolveCatalogRow(undefined, created(ruleId))!;
    expect(evolveCatalogRow(row, deleted(ruleId, 2, '2025-01-02T00:00:00.000Z'))).toMatchObject({
      deleted: true,
      enabled: false,
      version: 2,
    });
  });

  test('given a row at version 3, when events at or below it arrive again, then nothing changes', () => {
    const ruleId = randomUUID();
    const row: CatalogRow = {
      ...evolveCatalogRow(undefined, created(ruleId))!,
      enabled: false,
      version: 3,
    };
    expect(evolveCatalogRow(row, created(ruleId))).toBeUndefined();
    expect(evolveCatalogRow(row, enabled(ruleId, 2, '2025-01-02T00:00:00.000Z'))).toBeUndefined();
    expect(evolveCatalogRow(row, enabled(ruleId, 3, '2025-01-03T00:00:00.000Z'))).toBeUndefined();
    expect(
      foldCatalog(new Map([[ruleId, row]]), [created(ruleId), enabled(ruleId, 2, 'x')]),
    ).toEqual([]);
  });

  test('given no row, when a rule it never saw created changes, then nothing is written', () => {
    const ruleId = randomUUID();
    expect(
      foldCatalog(new Map(), [
        enabled(ruleId, 2, '2025-01-02T00:00:00.000Z'),
        disabled(ruleId, 3, '2025-01-03T00:00:00.000Z'),
        deleted(ruleId, 4, '2025-01-04T00:00:00.000Z'),
      ]),
    ).toEqual([]);
  });

  test('given a batch, when the whole stream is folded again over its result, then no row changes', () => {
    const a = randomUUID();
    const b = randomUUID();
    const stream = [
      created(a),
      created(b, false),
      disabled(a, 2, '2025-01-02T00:00:00.000Z', 'integration_deleted'),
      enabled(b, 2, '2025-01-02T00:00:00.000Z'),
      enabled(a, 3, '2025-01-03T00:00:00.000Z'),
      deleted(b, 3, '2025-01-04T00:00:00.000Z'),
    ];
    const first = foldCatalog(new Map(), stream);
    expect(first.map((r) => [r.id, r.enabled, r.deleted, r.version])).toEqual([
      [a, true, false, 3],
      [b, false, true, 3],
    ]);
    expect(foldCatalog(new Map(first.map((r) => [r.id, r])), stream)).toEqual([]);
  });

  test('it reads rule events that name a rule and a workspace, nothing else', () => {
    const ruleId = randomUUID();
    expect(ruleCatalogProjection.canHandle(created(ruleId))).toBe(true);
    expect(ruleCatalogProjection.canHandle({ ...created(ruleId), workspaceId: null })).toBe(false);
    expect(ruleCatalogProjection.canHandle(event(RuleEventTypes.enabled, {}, 2, 'x'))).toBe(false);
    expect(ruleCatalogProjection.canHandle(event('IntegrationConnected', { ruleId }, 1, 'x'))).toBe(
      false,
    );
  });
});
