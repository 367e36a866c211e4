import { z } from 'zod';
import type {
  ConnectIntegrationCommand,
  CreateIntegrationCommand,
  DeleteIntegrationResult,
  DisconnectIntegrationCommand,
  DisconnectIntegrationResult,
  HistoryEntry,
  IntegrationConnectedData,
  IntegrationCreatedData,
  IntegrationDeletedData,
  IntegrationDisconnectedData,
  IntegrationHealthResult,
  IntegrationSettingsUpdatedData,
  IntegrationUpdatedData,
  IntegrationView,
  ListIntegrationsQuery,
  UpdateIntegrationCommand,
  UpdateIntegrationSettingsCommand,
  CheckIntegrationHealthQuery,
} from '../integrations.js';
import { isoTime } from './common.schemas.js';
import { describes } from './proof.js';

const json = z.record(z.string(), z.unknown());
const settings = z.object({
  broker_enabled: z.boolean(),
  container_app_scan_enabled: z.boolean().optional(),
});
const kind = z.enum(['scm', 'chat', 'hosting', 'database', 'email', 'container-registry']);
const integrationId = z.object({ integrationId: z.string() });

export const integrationViewSchema = describes<IntegrationView>()(
  z.object({
    id: z.string(),
    workspaceId: z.string(),
    provider: z.string(),
    kind,
    profileName: z.string(),
    status: z.enum(['connected', 'disconnected']),
    config: json,
    settings,
    hasCredentials: z.boolean(),
    createdAt: isoTime,
    updatedAt: isoTime,
    connectedAt: isoTime.nullable(),
    disconnectedAt: isoTime.nullable(),
    version: z.number().int(),
  }),
);

export const historyEntrySchema = describes<HistoryEntry>()(
  z.object({
    eventId: z.string(),
    type: z.string(),
    position: z.string(),
    streamVersion: z.number().int(),
    occurredAt: isoTime,
    actor: z.string().nullable(),
    correlationId: z.string(),
    causationId: z.string().nullable(),
    data: z.unknown(),
  }),
);

export const integrationCommandSchemas = {
  connect: describes<ConnectIntegrationCommand>()(
    z.object({
      provider: z.string(),
      payload: json.describe("the provider's config and credentials, flat"),
      integrationId: z.string().optional(),
      profileName: z.string().optional(),
    }),
  ),
  disconnect: describes<DisconnectIntegrationCommand>()(
    z.object({
      provider: z.string(),
      integrationId: z.string().optional(),
      reason: z.string().optional(),
    }),
  ),
  create: describes<CreateIntegrationCommand>()(
    z.object({
      integration_type: z.string(),
      profile_name: z.string(),
      credentials: json,
      config: json.optional(),
      settings: settings.partial().optional(),
    }),
  ),
  update: describes<UpdateIntegrationCommand>()(
    z.object({
      integrationId: z.string(),
      profile_name: z.string().optional(),
      credentials: json.optional(),
      integration_type: z.string().optional(),
    }),
  ),
  updateSettings: describes<UpdateIntegrationSettingsCommand>()(
    z.object({ integrationId: z.string(), settings: settings.partial() }),
  ),
  byId: integrationId,
  list: describes<ListIntegrationsQuery>()(
    z.object({
      provider: z.string().optional(),
      status: z.enum(['connected', 'disconnected']).optional(),
    }),
  ),
  checkHealth: describes<CheckIntegrationHealthQuery>()(
    z.object({ provider: z.string(), integrationId: z.string().optional() }),
  ),
  verifyGithubInstallation: z.object({ installationId: z.string() }),
};

export const integrationResultSchemas = {
  disconnect: describes<DisconnectIntegrationResult>()(
    z.object({ integration: integrationViewSchema, disabledRuleIds: z.array(z.string()) }),
  ),
  delete: describes<DeleteIntegrationResult>()(
    z.object({
      integrationId: z.string(),
      provider: z.string(),
      orphanedTargets: z.number().int(),
      disabledRuleIds: z.array(z.string()),
    }),
  ),
  health: describes<IntegrationHealthResult>()(
    z.object({
      integrationId: z.string(),
      provider: z.string(),
      healthy: z.boolean(),
      status: z.enum(['healthy', 'unhealthy', 'unreachable']),
      detail: z.string(),
      httpStatus: z.number().int().optional(),
      latencyMs: z.number(),
      checkedAt: isoTime,
    }),
  ),
  verifyGithubInstallation: z.object({ installationId: z.string() }),
};

const snapshot = {
  integrationId: z.string(),
  provider: z.string(),
  kind,
  profileName: z.string(),
  config: json,
  settings,
  hasCredentials: z.boolean(),
};

/** Data of each integration event (never credentials, not even encrypted). */
export const integrationEventSchemas = {
  IntegrationCreated: describes<IntegrationCreatedData>()(
    z.object({ ...snapshot, status: z.literal('connected'), createdAt: isoTime }),
  ),
  IntegrationConnected: describes<IntegrationConnectedData>()(
    z.object({ ...snapshot, firstConnect: z.boolean(), connectedAt: isoTime }),
  ),
  IntegrationDisconnected: describes<IntegrationDisconnectedData>()(
    z.object({
      integrationId: z.string(),
      provider: z.string(),
      reason: z.string().nullable(),
      disconnectedAt: isoTime,
    }),
  ),
  IntegrationUpdated: describes<IntegrationUpdatedData>()(
    z.object({
      integrationId: z.string(),
      provider: z.string(),
      changed: z.array(z.enum(['profile_name', 'credentials'])),
      profileName: z.string(),
      hasCredentials: z.boolean(),
      updatedAt: isoTime,
    }),
  ),
  IntegrationSettingsUpdated: describes<IntegrationSettingsUpdatedData>()(
    z.object({
      integrationId: z.string(),
      provider: z.string(),
      settings,
      changed: z.array(z.enum(['broker_enabled', 'container_app_scan_enabled'])),
      updatedAt: isoTime,
    }),
  ),
  IntegrationDeleted: describes<IntegrationDeletedData>()(
    z.object({
      integrationId: z.string(),
      provider: z.string(),
      credentialsShredded: z.boolean(),
      orphanedTargets: z.number().int(),
      deletedAt: isoTime,
    }),
  ),
};
