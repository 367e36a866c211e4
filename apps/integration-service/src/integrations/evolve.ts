import type {
  IntegrationConnectedData,
  IntegrationCreatedData,
  IntegrationDeletedData,
  IntegrationDisconnectedData,
  IntegrationSettingsUpdatedData,
  IntegrationUpdatedData,
} from '#libs/contracts/src/index.js';
import type { IntegrationState } from './integration.state.js';

/** The part of a stored event that evolving needs. */
export interface IntegrationEventRecord {
  type: string;
  data: unknown;
  streamVersion: number;
  metadata: { workspaceId: string | null };
}

/** Applies one event. Pure: the same stream always folds to the same state. */
export function evolveIntegration(
  state: IntegrationState,
  event: IntegrationEventRecord,
): IntegrationState {
  const next: IntegrationState = { ...state, version: event.streamVersion };
  switch (event.type) {
    case 'IntegrationCreated': {
      const d = event.data as IntegrationCreatedData;
      return {
        ...next,
        ...snapshot(d),
        workspaceId: event.metadata.workspaceId,
        exists: true,
        status: 'connected',
        createdAt: d.createdAt,
        updatedAt: d.createdAt,
        connectedAt: d.createdAt,
      };
    }
    case 'IntegrationConnected': {
      const d = event.data as IntegrationConnectedData;
      return {
        ...next,
        ...snapshot(d),
        workspaceId: state.exists ? state.workspaceId : event.metadata.workspaceId,
        exists: true,
        status: 'connected',
        createdAt: state.exists ? state.createdAt : d.connectedAt,
        updatedAt: d.connectedAt,
        connectedAt: d.connectedAt,
      };
    }
    case 'IntegrationDisconnected': {
      const d = event.data as IntegrationDisconnectedData;
      return {
        ...next,
        status: 'disconnected',
        updatedAt: d.disconnectedAt,
        disconnectedAt: d.disconnectedAt,
      };
    }
    case 'IntegrationUpdated': {
      const d = event.data as IntegrationUpdatedData;
      return {
        ...next,
        profileName: d.profileName,
        hasCredentials: d.hasCredentials,
        updatedAt: d.updatedAt,
      };
    }
    case 'IntegrationSettingsUpdated': {
      const d = event.data as IntegrationSettingsUpdatedData;
      return { ...next, settings: { ...d.settings }, updatedAt: d.updatedAt };
    }
    case 'IntegrationDeleted': {
      const d = event.data as IntegrationDeletedData;
      return {
        ...next,
        deleted: true,
        status: 'disconnected',
        hasCredentials: false,
        updatedAt: d.deletedAt,
      };
    }
    default:
      return next;
  }
}

function snapshot(d: IntegrationCreatedData | IntegrationConnectedData) {
  return {
    provider: d.provider,
    kind: d.kind,
    profileName: d.profileName,
    config: { ...d.config },
    settings: { ...d.settings },
    hasCredentials: d.hasCredentials,
  };
}
