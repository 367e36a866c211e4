import type {
  Envelope,
  IntegrationEventDataMap,
  IntegrationSnapshotData,
  IntegrationView,
  RuleDefinition,
  RuleEventDataMap,
} from '#libs/contracts/src/index.js';

/** One row of `gateway.integrations`: an integration as the gateway shows it. */
export interface IntegrationRow extends IntegrationView {
  /** Log position of the last event applied to this row. */
  position: string;
}

/** One row of `gateway.rules`. */
export interface RuleRow {
  id: string;
  workspaceId: string;
  name: string;
  kind: 'rule' | 'policy';
  enforcement: string | null;
  definition: RuleDefinition;
  providers: string[];
  enabled: boolean;
  disabledReason: string | null;
  disabledMessage: string | null;
  disabledByEventId: string | null;
  disabledByIntegrationId: string | null;
  createdAt: string;
  updatedAt: string;
  version: number;
  position: string;
}

/** What an event does to one row: write it, delete it, or nothing (unknown, stale, or a replay). */
export type RowChange<T> = { upsert: T } | { delete: string } | undefined;

type AnyEnvelope = Envelope<string, unknown>;

/** The row an event is about, by id: integration events name `integrationId`, rule events `ruleId`. */
export function integrationIdOf(event: AnyEnvelope): string | undefined {
  const id = (event.data as { integrationId?: unknown } | null)?.integrationId;
  return typeof id === 'string' ? id : undefined;
}

export function ruleIdOf(event: AnyEnvelope): string | undefined {
  const id = (event.data as { ruleId?: unknown } | null)?.ruleId;
  return typeof id === 'string' ? id : undefined;
}

function isStale(row: { version: number } | undefined, event: AnyEnvelope): boolean {
  return (
    row !== undefined && event.streamVersion !== undefined && event.streamVersion <= row.version
  );
}

const stamp = (event: AnyEnvelope, row?: { version: number }) => ({
  version: event.streamVersion ?? (row ? row.version + 1 : 1),
  position: event.position ?? '0',
});

/** An existing row with `fields` changed, stamped with the event's version and position. */
function patch<T extends { version: number }>(
  row: T,
  event: AnyEnvelope,
  fields: Partial<T>,
): RowChange<T> {
  return { upsert: { ...row, ...fields, ...stamp(event, row) } };
}

/** The fields an event that carries the whole non-secret state (created, connected) sets. */
function fromSnapshot(d: IntegrationSnapshotData, event: AnyEnvelope, row?: IntegrationRow) {
  return {
    id: d.integrationId,
    workspaceId: event.workspaceId ?? row?.workspaceId ?? '',
    provider: d.provider,
    kind: d.kind,
    profileName: d.profileName,
    status: 'connected' as const,
    config: d.config,
    settings: d.settings,
    hasCredentials: d.hasCredentials,
  };
}

/**
 * Pure: the integration row after `event`. Events that create (created, connected) carry the
 * whole non-secret state, so a row can be rebuilt from them alone; the others patch it.
 */
export function evolveIntegration(
  row: IntegrationRow | undefined,
  event: AnyEnvelope,
): RowChange<IntegrationRow> {
  if (isStale(row, event)) return undefined;
  const at = event.occurredAt;
  switch (event.type) {
    case 'IntegrationCreated': {
      const d = event.data as IntegrationEventDataMap['IntegrationCreated'];
      return {
        upsert: {
          ...fromSnapshot(d, event, row),
          createdAt: d.createdAt ?? at,
          updatedAt: at,
          connectedAt: d.createdAt ?? at,
          disconnectedAt: null,
          ...stamp(event, row),
        },
      };
    }
    case 'IntegrationConnected': {
      const d = event.data as IntegrationEventDataMap['IntegrationConnected'];
      return {
        upsert: {
          ...fromSnapshot(d, event, row),
          createdAt: row?.createdAt ?? d.connectedAt ?? at,
          updatedAt: at,
          connectedAt: d.connectedAt ?? at,
          disconnectedAt: row?.disconnectedAt ?? null,
          ...stamp(event, row),
        },
      };
    }
    case 'IntegrationDisconnected': {
      if (!row) return undefined;
      const d = event.data as IntegrationEventDataMap['IntegrationDisconnected'];
      return patch(row, event, {
        status: 'disconnected',
        disconnectedAt: d.disconnectedAt ?? at,
        updatedAt: at,
      });
    }
    case 'IntegrationUpdated': {
      if (!row) return undefined;
      const d = event.data as IntegrationEventDataMap['IntegrationUpdated'];
      return patch(row, event, {
        profileName: d.profileName,
        hasCredentials: d.hasCredentials,
        updatedAt: d.updatedAt ?? at,
      });
    }
    case 'IntegrationSettingsUpdated': {
      if (!row) return undefined;
      const d = event.data as IntegrationEventDataMap['IntegrationSettingsUpdated'];
      return patch(row, event, { settings: d.settings, updatedAt: d.updatedAt ?? at });
    }
    case 'IntegrationDeleted': {
      const id = integrationIdOf(event);
      return id ? { delete: id } : undefined;
    }
    default:
      return undefined;
  }
}

/** Pure: the rule row after `event`. */
export function evolveRule(row: RuleRow | undefined, event: AnyEnvelope): RowChange<RuleRow> {
  if (isStale(row, event)) return undefined;
  const at = event.occurredAt;
  switch (event.type) {
    case 'RuleCreated': {
      if (row) return undefined;
      const d = event.data as RuleEventDataMap['RuleCreated'];
      return {
        upsert: {
          id: d.ruleId,
          workspaceId: event.workspaceId ?? '',
          name: d.name,
          kind: d.kind,
          enforcement: d.enforcement,
          definition: d.definition,
          providers: d.providers,
          enabled: d.enabled,
          // Created disabled: the service says why in words (a provider not connected, or asked so).
          disabledReason: d.enabled ? null : 'created_disabled',
          disabledMessage: d.enabled ? null : (d.disabledReason ?? 'created disabled'),
          disabledByEventId: d.enabled ? null : event.id,
          disabledByIntegrationId: null,
          createdAt: d.createdAt ?? at,
          updatedAt: at,
          ...stamp(event, row),
        },
      };
    }
    case 'RuleEnabled': {
      if (!row) return undefined;
      return patch(row, event, {
        enabled: true,
        disabledReason: null,
        disabledMessage: null,
        disabledByEventId: null,
        disabledByIntegrationId: null,
        updatedAt: at,
      });
    }
    case 'RuleDisabled': {
      if (!row) return undefined;
      const d = event.data as RuleEventDataMap['RuleDisabled'];
      return patch(row, event, {
        enabled: false,
        disabledReason: d.reason,
        disabledMessage: d.message,
        // The event that caused the disablement (the disconnect), else this one (by hand).
        disabledByEventId: d.causeEventId ?? event.id,
        disabledByIntegrationId: d.integrationId,
        updatedAt: at,
      });
    }
    case 'RuleDeleted': {
      const id = ruleIdOf(event);
      return id ? { delete: id } : undefined;
    }
    default:
      return undefined;
  }
}
