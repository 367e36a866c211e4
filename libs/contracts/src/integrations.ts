import type { Envelope } from './envelope.js';
import type { ProviderKind } from './providers/catalog.js';

/**
 * The integrations vocabulary on the bus: commands and queries the integration service answers
 * (each sent as `Envelope<type, payload>` on the `IntegrationSubjects` subject of the same name,
 * answered with `Reply<result>`), and the events it publishes on JetStream.
 *
 * An integration is one connection of a workspace to one provider. `/api` connects by provider
 * (the workspace's integration of that provider; created on first connect); `/rest` creates
 * integrations by type with a profile name and can hold several of one type.
 *
 * Successful writes answer with `position`: the global log position of the last event appended,
 * so the gateway can wait until its projection has applied it (read-your-writes). A repeated
 * `idempotencyKey` answers the first reply again (same `position`) and appends nothing.
 */

export type IntegrationStatus = 'connected' | 'disconnected';

/** Settings every integration has; `container_app_scan_enabled` only on container registries. */
export interface IntegrationSettings {
  broker_enabled: boolean;
  container_app_scan_enabled?: boolean;
}

/** What the service answers about an integration: never credentials, only whether there are some. */
export interface IntegrationView {
  id: string;
  workspaceId: string;
  provider: string;
  kind: ProviderKind;
  profileName: string;
  status: IntegrationStatus;
  /** Non-secret connection data, e.g. `{ installationId, accountLogin }` for GitHub. */
  config: Record<string, unknown>;
  settings: IntegrationSettings;
  hasCredentials: boolean;
  createdAt: string;
  updatedAt: string;
  connectedAt: string | null;
  disconnectedAt: string | null;
  /** Version of the integration's stream: the number of events it has. */
  version: number;
}

// ---- Commands (payloads) ----

/** `integrations.cmd.connect`: `payload` is the provider's config + credentials, flat. */
export interface ConnectIntegrationCommand {
  provider: string;
  payload: Record<string, unknown>;
  /** Connect (again) this integration; default: the workspace's integration of `provider`. */
  integrationId?: string;
  profileName?: string;
}

/**
 * `integrations.cmd.verify-github-installation`: the gateway's install flow confirmed, with the
 * member's own GitHub user token (`GET /user/installations`), that the member can access this
 * installation. A GitHub connect of the workspace then may name it.
 */
export interface VerifyGithubInstallationCommand {
  installationId: string;
}

/** `integrations.cmd.disconnect`: disables every enabled rule that depended on it. */
export interface DisconnectIntegrationCommand {
  provider: string;
  integrationId?: string;
  reason?: string;
}

/** `integrations.cmd.create` (the Snyk REST API): created connected. */
export interface CreateIntegrationCommand {
  integration_type: string;
  profile_name: string;
  credentials: Record<string, unknown>;
  /** Non-secret config where the type has some (e.g. GitHub's installationId). */
  config?: Record<string, unknown>;
  settings?: Partial<IntegrationSettings>;
}

/**
 * `integrations.cmd.update`: partial; given credential fields are merged over the stored ones and
 * the result validated. `integration_type` is immutable: sending it is a validation error.
 */
export interface UpdateIntegrationCommand {
  integrationId: string;
  profile_name?: string;
  credentials?: Record<string, unknown>;
  integration_type?: string;
}

/** `integrations.cmd.update-settings`: partial. */
export interface UpdateIntegrationSettingsCommand {
  integrationId: string;
  settings: Partial<IntegrationSettings>;
}

/**
 * `integrations.cmd.delete`: hard delete. Shreds the integration's data key (its credentials in
 * the log become unrecoverable), disables dependent rules. Conflict while `broker_enabled`.
 */
export interface DeleteIntegrationCommand {
  integrationId: string;
}

export interface GetIntegrationQuery {
  integrationId: string;
}

export interface ListIntegrationsQuery {
  provider?: string;
  status?: IntegrationStatus;
}

/** `integrations.q.history`: every event of one integration, oldest first (the audit trail). */
export interface IntegrationHistoryQuery {
  integrationId: string;
}

/** `integrations.q.check-health`: calls the provider with the stored credentials. */
export interface CheckIntegrationHealthQuery {
  provider: string;
  integrationId?: string;
}

// ---- Results ----

export interface DisconnectIntegrationResult {
  integration: IntegrationView;
  /** Rules and policies this disconnect disabled, each with its own `RuleDisabled` event. */
  disabledRuleIds: string[];
}

export interface DeleteIntegrationResult {
  integrationId: string;
  provider: string;
  /** Rules and policies that referenced the integration's provider and lost it. */
  orphanedTargets: number;
  disabledRuleIds: string[];
}

export interface IntegrationHealthResult {
  integrationId: string;
  provider: string;
  healthy: boolean;
  /** `unhealthy`: the provider answered and refused the credentials; `unreachable`: no answer. */
  status: 'healthy' | 'unhealthy' | 'unreachable';
  detail: string;
  httpStatus?: number;
  latencyMs: number;
  checkedAt: string;
}

/** One entry of an audit trail (integrations and rules alike). */
export interface HistoryEntry {
  eventId: string;
  type: string;
  position: string;
  streamVersion: number;
  occurredAt: string;
  actor: string | null;
  correlationId: string;
  causationId: string | null;
  data: unknown;
}

// ---- Events (published data: never credentials, not even encrypted) ----

export const IntegrationEventTypes = {
  created: 'IntegrationCreated',
  connected: 'IntegrationConnected',
  disconnected: 'IntegrationDisconnected',
  updated: 'IntegrationUpdated',
  settingsUpdated: 'IntegrationSettingsUpdated',
  deleted: 'IntegrationDeleted',
} as const;

/** The whole non-secret state, so a projection can upsert from this event alone. */
export interface IntegrationSnapshotData {
  integrationId: string;
  provider: string;
  kind: ProviderKind;
  profileName: string;
  config: Record<string, unknown>;
  settings: IntegrationSettings;
  hasCredentials: boolean;
}

export interface IntegrationCreatedData extends IntegrationSnapshotData {
  status: 'connected';
  createdAt: string;
}

export interface IntegrationConnectedData extends IntegrationSnapshotData {
  /** True when this connect created the integration. */
  firstConnect: boolean;
  connectedAt: string;
}

export interface IntegrationDisconnectedData {
  integrationId: string;
  provider: string;
  reason: string | null;
  disconnectedAt: string;
}

export interface IntegrationUpdatedData {
  integrationId: string;
  provider: string;
  /** Which fields changed; credential values never appear, only that they were rotated. */
  changed: ('profile_name' | 'credentials')[];
  profileName: string;
  hasCredentials: boolean;
  updatedAt: string;
}

export interface IntegrationSettingsUpdatedData {
  integrationId: string;
  provider: string;
  /** Settings after the change, whole. */
  settings: IntegrationSettings;
  changed: (keyof IntegrationSettings)[];
  updatedAt: string;
}

export interface IntegrationDeletedData {
  integrationId: string;
  provider: string;
  /** The data key was destroyed: stored credentials are gone for good. */
  credentialsShredded: boolean;
  orphanedTargets: number;
  deletedAt: string;
}

export interface IntegrationEventDataMap {
  IntegrationCreated: IntegrationCreatedData;
  IntegrationConnected: IntegrationConnectedData;
  IntegrationDisconnected: IntegrationDisconnectedData;
  IntegrationUpdated: IntegrationUpdatedData;
  IntegrationSettingsUpdated: IntegrationSettingsUpdatedData;
  IntegrationDeleted: IntegrationDeletedData;
}

export type IntegrationEventType = keyof IntegrationEventDataMap;

/** An integration event as published: `position`, `streamId`, `streamVersion` are set. */
export type IntegrationEvent = {
  [K in IntegrationEventType]: Envelope<K, IntegrationEventDataMap[K]>;
}[IntegrationEventType];

/** Stream id of an integration in the log: `integration-<uuid>`. */
export const integrationStreamId = (integrationId: string) => `integration-${integrationId}`;
