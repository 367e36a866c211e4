import type {
  IntegrationSettings,
  IntegrationStatus,
  IntegrationView,
  ProviderKind,
} from '#libs/contracts/src/index.js';

/** An integration as its stream tells it. `exists` false: nothing appended yet. */
export interface IntegrationState {
  id: string;
  workspaceId: string | null;
  exists: boolean;
  deleted: boolean;
  provider: string;
  kind: ProviderKind;
  profileName: string;
  status: IntegrationStatus;
  config: Record<string, unknown>;
  settings: IntegrationSettings;
  hasCredentials: boolean;
  createdAt: string;
  updatedAt: string;
  connectedAt: string | null;
  disconnectedAt: string | null;
  version: number;
}

export function initialIntegration(id: string): IntegrationState {
  return {
    id,
    workspaceId: null,
    exists: false,
    deleted: false,
    provider: '',
    kind: 'scm',
    profileName: '',
    status: 'disconnected',
    config: {},
    settings: { broker_enabled: false },
    hasCredentials: false,
    createdAt: '',
    updatedAt: '',
    connectedAt: null,
    disconnectedAt: null,
    version: 0,
  };
}

export function toIntegrationView(state: IntegrationState): IntegrationView {
  return {
    id: state.id,
    workspaceId: state.workspaceId ?? '',
    provider: state.provider,
    kind: state.kind,
    profileName: state.profileName,
    status: state.status,
    config: state.config,
    settings: state.settings,
    hasCredentials: state.hasCredentials,
    createdAt: state.createdAt,
    updatedAt: state.updatedAt,
    connectedAt: state.connectedAt,
    disconnectedAt: state.disconnectedAt,
    version: state.version,
  };
}
