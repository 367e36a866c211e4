import type {
  IntegrationConnectedData,
  IntegrationCreatedData,
  IntegrationEvent,
} from '#libs/contracts/src/index.js';
import type { Recorded } from '#libs/event-store/src/index.js';
import type { IntegrationState } from './integration.state.js';

/** Applies one event. Pure: the same stream always folds to the same state. */
export function evolveIntegration(
  state: IntegrationState,
  event: Recorded<IntegrationEvent>,
): IntegrationState {
  const next: IntegrationState = { ...state, version: event.streamVersion };
  switch (event.type) {
    case 'IntegrationCreated': {
      const d = event.data;
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
      const d = event.data;
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
      const d = event.data;
      return {
        ...next,
        status: 'disconnected',
        updatedAt: d.disconnectedAt,
        disconnectedAt: d.disconnectedAt,
      };
    }
    case 'IntegrationUpdated': {
      const d = event.data;
      return {
        ...next,
        profileName: d.profileName,
        hasCredentials: d.hasCredentials,
        updatedAt: d.updatedAt,
      };
    }
    case 'IntegrationSettingsUpdated': {
      const d = event.data;
      return { ...next, settings: { ...d.settings }, updatedAt: d.updatedAt };
    }
    case 'IntegrationDeleted': {
      const d = event.data;
      return {
        ...next,
        deleted: true,
        status: 'disconnected',
        hasCredentials: false,
        updatedAt: d.deletedAt,
      };
    }
    default:
      // A type this version does not know (written by a newer one): only the version moves.
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
