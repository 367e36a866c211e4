import { createHash } from 'node:crypto';
import type {
  ApiKeyIssuedData,
  ApiKeyRevokedData,
  Envelope,
  IntegrationConnectedData,
  IntegrationCreatedData,
  IntegrationDeletedData,
  IntegrationDisconnectedData,
  IntegrationSettingsUpdatedData,
  IntegrationUpdatedData,
  MemberAddedData,
  MemberRemovedData,
  RuleCreatedData,
  RuleDisabledData,
  ScanQueuedData,
  WorkspaceCreatedData,
} from '#libs/contracts/src/index.js';

/** What an audit entry is about. `policy` is a rule with an enforcement level. */
export const RESOURCE_TYPES = [
  'integration',
  'rule',
  'policy',
  'scan',
  'workspace',
  'member',
  'api_key',
] as const;
export type ResourceType = (typeof RESOURCE_TYPES)[number];

/** Event types that make an audit entry (the others change nothing a person asked for). */
export const AUDITED_EVENT_TYPES: ReadonlySet<string> = new Set([
  'IntegrationCreated',
  'IntegrationConnected',
  'IntegrationDisconnected',
  'IntegrationUpdated',
  'IntegrationSettingsUpdated',
  'IntegrationDeleted',
  'RuleCreated',
  'RuleEnabled',
  'RuleDisabled',
  'RuleDeleted',
  'ScanQueued',
  'WorkspaceCreated',
  'MemberAdded',
  'MemberRemoved',
  'ApiKeyIssued',
  'ApiKeyRevoked',
]);

/** One row of `gateway.audit_log`, as the projection writes it. */
export interface AuditEntry {
  workspaceId: string;
  eventId: string;
  /** Keyset order: occurred time (µs), then position in the source log, then event id. */
  sortKey: string;
  occurredAt: string;
  resourceType: ResourceType;
  resourceId: string;
  action: string;
  /** A member id, or a system actor's name (`github-webhook`, `admin-cli`, `system`, ...). */
  actor: string;
  actorType: 'member' | 'system';
  /** The API key the member used. */
  actorKeyId: string | null;
  /** A system actor in words, e.g. "GitHub uninstall delivery". */
  actorLabel: string | null;
  /** Fields the change set, by name, with their new values: never a credential. */
  changes: Record<string, unknown>;
  /** The audit entry (event) that caused this one, e.g. the disconnect behind a rule_disabled. */
  causeEventId: string | null;
  /** A cause outside the log, e.g. `{ type: 'github_delivery', deliveryId }`. */
  cause: Record<string, unknown> | null;
  correlationId: string;
}

/** Who's who, for showing actors: members' emails and keys' hints, kept after removal. */
export type DirectoryChange =
  | { kind: 'member'; workspaceId: string; memberId: string; email: string }
  | {
      kind: 'key';
      workspaceId: string;
      keyId: string;
      memberId: string;
      name: string;
      hint: string;
    };

type AnyEvent = Envelope<string, unknown>;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Keys that sort as the entries do: fixed width, so text order is the order we want. */
export function sortKeyOf(occurredAt: string, position: string | undefined, eventId: string) {
  const micros = BigInt(Date.parse(occurredAt)) * 1000n + subMillisecondMicros(occurredAt);
  return `${micros.toString().padStart(16, '0')}${(position ?? '0').padStart(20, '0')}${eventId}`;
}

function subMillisecondMicros(iso: string): bigint {
  const fraction = /\.(\d+)/.exec(iso)?.[1] ?? '';
  return BigInt((fraction.slice(3, 6) || '0').padEnd(3, '0'));
}

/** The sort key where an instant begins (for time-range filters). */
export function sortKeyAt(instant: Date): string {
  return (BigInt(instant.getTime()) * 1000n).toString().padStart(16, '0');
}

const SYSTEM_ACTORS: Record<string, string> = {
  'github-webhook': 'GitHub webhook delivery',
  'admin-cli': 'admin command line',
  system: 'the platform',
  migration: 'recorded when the audit log began',
};

const GITHUB_DISCONNECT_REASONS: Record<string, string> = {
  github_app_uninstalled: 'GitHub uninstall delivery',
  github_app_suspended: 'GitHub suspension delivery',
};

interface Described {
  resourceType: ResourceType;
  resourceId: string;
  action: string;
  changes: Record<string, unknown>;
  causeEventId?: string | null;
}

/**
 * Pure: the audit entry an event makes, or undefined for events that change nothing a person
 * asked for (scan progress, repository batches, ...). `ruleKind` says whether a rule id names a
 * policy (only RuleCreated carries the kind).
 */
export function auditEntryOf(
  event: AnyEvent,
  ruleKind: (ruleId: string) => 'rule' | 'policy' = () => 'rule',
): AuditEntry | undefined {
  if (!event.workspaceId || !event.id) return undefined;
  const eventId = entryId(event.id);
  const described = describe(event, ruleKind);
  if (!described) return undefined;
  const actor = event.actor ?? 'system';
  const member = UUID.test(actor);
  let actorLabel = member ? null : (SYSTEM_ACTORS[actor] ?? actor);
  let cause: Record<string, unknown> | null = null;
  if (actor === 'github-webhook') {
    const reason = (event.data as { reason?: string } | null)?.reason;
    if (reason && GITHUB_DISCONNECT_REASONS[reason]) actorLabel = GITHUB_DISCONNECT_REASONS[reason];
    // The delivery's envelope id is its X-GitHub-Delivery, and it starts the chain.
    cause = { type: 'github_delivery', deliveryId: event.correlationId };
  }
  return {
    workspaceId: event.workspaceId,
    eventId,
    sortKey: sortKeyOf(event.occurredAt, event.position, eventId),
    occurredAt: event.occurredAt,
    resourceType: described.resourceType,
    resourceId: described.resourceId,
    action: described.action,
    actor,
    actorType: member ? 'member' : 'system',
    actorKeyId: member && event.actorKeyId && UUID.test(event.actorKeyId) ? event.actorKeyId : null,
    actorLabel,
    changes: described.changes,
    causeEventId: described.causeEventId ?? null,
    cause,
    correlationId: event.correlationId,
  };
}

/**
 * The entry's id: the event's, or for an event whose id is not a UUID (the scanner names some
 * `<scan id>:queued`) one derived from it, the same on every replay.
 */
function entryId(id: string): string {
  if (UUID.test(id)) return id.toLowerCase();
  const hex = createHash('sha256').update(id).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

function describe(
  event: AnyEvent,
  ruleKind: (ruleId: string) => 'rule' | 'policy',
): Described | undefined {
  const d = event.data as Record<string, unknown>;
  switch (event.type) {
    case 'IntegrationCreated': {
      const c = d as unknown as IntegrationCreatedData;
      return integration(c.integrationId, 'created', {
        provider: c.provider,
        profile_name: c.profileName,
        status: 'connected',
        config: c.config,
        settings: c.settings,
      });
    }
    case 'IntegrationConnected': {
      const c = d as unknown as IntegrationConnectedData;
      return integration(c.integrationId, 'connected', {
        provider: c.provider,
        status: 'connected',
        profile_name: c.profileName,
        config: c.config,
        ...(c.firstConnect ? { settings: c.settings } : {}),
      });
    }
    case 'IntegrationDisconnected': {
      const c = d as unknown as IntegrationDisconnectedData;
      return integration(c.integrationId, 'disconnected', {
        provider: c.provider,
        status: 'disconnected',
        reason: c.reason,
      });
    }
    case 'IntegrationUpdated': {
      const c = d as unknown as IntegrationUpdatedData;
      const rotated = c.changed.includes('credentials');
      return integration(c.integrationId, rotated ? 'credentials_rotated' : 'profile_renamed', {
        provider: c.provider,
        ...(c.changed.includes('profile_name') ? { profile_name: c.profileName } : {}),
      });
    }
    case 'IntegrationSettingsUpdated': {
      const c = d as unknown as IntegrationSettingsUpdatedData;
      const changes: Record<string, unknown> = { provider: c.provider };
      for (const key of c.changed) changes[key] = c.settings[key];
      return integration(c.integrationId, 'settings_updated', changes);
    }
    case 'IntegrationDeleted': {
      const c = d as unknown as IntegrationDeletedData;
      return integration(c.integrationId, 'deleted', {
        provider: c.provider,
        credentials_shredded: c.credentialsShredded,
        orphaned_targets: c.orphanedTargets,
      });
    }
    case 'RuleCreated': {
      const c = d as unknown as RuleCreatedData;
      const type = c.kind === 'policy' ? 'policy' : 'rule';
      return {
        resourceType: type,
        resourceId: c.ruleId,
        action: `${type}_created`,
        changes: {
          name: c.name,
          ...(c.enforcement ? { enforcement: c.enforcement } : {}),
          providers: c.providers,
          enabled: c.enabled,
          ...(c.disabledReason ? { disabled_reason: c.disabledReason } : {}),
        },
      };
    }
    case 'RuleEnabled':
      return rule(d.ruleId, 'enabled', { enabled: true });
    case 'RuleDisabled': {
      const c = d as unknown as RuleDisabledData;
      return {
        ...rule(c.ruleId, 'disabled', {
          enabled: false,
          reason: c.reason,
          message: c.message,
          ...(c.integrationId ? { integration_id: c.integrationId } : {}),
        })!,
        causeEventId: c.causeEventId,
      };
    }
    case 'RuleDeleted':
      return rule(d.ruleId, 'deleted', {});
    case 'ScanQueued': {
      const c = d as unknown as ScanQueuedData;
      return { resourceType: 'scan', resourceId: c.scanId, action: 'scan_started', changes: {} };
    }
    case 'WorkspaceCreated': {
      const c = d as unknown as WorkspaceCreatedData;
      return {
        resourceType: 'workspace',
        resourceId: c.workspaceId,
        action: 'workspace_created',
        changes: { name: c.name },
      };
    }
    case 'MemberAdded': {
      const c = d as unknown as MemberAddedData;
      return member(c.memberId, 'member_added', { email: c.email, role: c.role });
    }
    case 'MemberRemoved': {
      const c = d as unknown as MemberRemovedData;
      return member(c.memberId, 'member_removed', {
        email: c.email,
        role: c.role,
        revoked_key_ids: c.revokedKeyIds,
      });
    }
    case 'ApiKeyIssued': {
      const c = d as unknown as ApiKeyIssuedData;
      return apiKey(c.keyId, 'api_key_issued', {
        name: c.name,
        hint: c.hint,
        member_id: c.memberId,
      });
    }
    case 'ApiKeyRevoked': {
      const c = d as unknown as ApiKeyRevokedData;
      return {
        ...apiKey(c.keyId, 'api_key_revoked', {
          name: c.name,
          hint: c.hint,
          member_id: c.memberId,
        }),
        // Revoked because its member was removed: the removal's event.
        causeEventId: event.causationId,
      };
    }
    default:
      return undefined;
  }

  function rule(ruleId: unknown, verb: string, changes: Record<string, unknown>) {
    if (typeof ruleId !== 'string') return undefined;
    const type = ruleKind(ruleId);
    return { resourceType: type, resourceId: ruleId, action: `${type}_${verb}`, changes };
  }
}

function integration(id: string, action: string, changes: Record<string, unknown>): Described {
  return { resourceType: 'integration', resourceId: id, action, changes };
}

function member(id: string, action: string, changes: Record<string, unknown>): Described {
  return { resourceType: 'member', resourceId: id, action, changes };
}

function apiKey(id: string, action: string, changes: Record<string, unknown>): Described {
  return { resourceType: 'api_key', resourceId: id, action, changes };
}

/** What a workspace event tells the actor directory. */
export function directoryChangeOf(event: AnyEvent): DirectoryChange | undefined {
  if (!event.workspaceId) return undefined;
  if (event.type === 'MemberAdded') {
    const d = event.data as MemberAddedData;
    return { kind: 'member', workspaceId: event.workspaceId, memberId: d.memberId, email: d.email };
  }
  if (event.type === 'ApiKeyIssued') {
    const d = event.data as ApiKeyIssuedData;
    return {
      kind: 'key',
      workspaceId: event.workspaceId,
      keyId: d.keyId,
      memberId: d.memberId,
      name: d.name,
      hint: d.hint,
    };
  }
  return undefined;
}
