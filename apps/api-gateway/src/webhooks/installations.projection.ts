import {
  IntegrationEventTypes,
  type Envelope,
  type IntegrationConnectedData,
} from '#libs/contracts/src/index.js';

/**
 * Which workspace (and which of its integrations) connected which GitHub App installation,
 * projected from the integration service's events. Pure: the directory around it feeds events in
 * and stores the result.
 */
export interface InstallationOwner {
  workspaceId: string;
  integrationId: string;
}

export interface InstallationChange {
  installationId: number;
  /** Who has it connected now, or null once it is disconnected or deleted. */
  owner: InstallationOwner | null;
}

const CONNECTING: ReadonlySet<string> = new Set([
  IntegrationEventTypes.connected,
  IntegrationEventTypes.created,
]);
const ENDING: ReadonlySet<string> = new Set([
  IntegrationEventTypes.disconnected,
  IntegrationEventTypes.deleted,
]);

/** `installationId` as the TinyOps Integrations API sends it ("12345678") or as a number. */
export function parseInstallationId(value: unknown): number | null {
  const id = typeof value === 'string' && /^\d{1,15}$/.test(value) ? Number(value) : value;
  return typeof id === 'number' && Number.isSafeInteger(id) && id > 0 ? id : null;
}

/**
 * What an integration event changes about GitHub installations. A disconnect or delete names only
 * the integration, so the caller says which installation that integration had (`installationOf`).
 */
export function installationChangeOf(
  event: Pick<Envelope, 'type' | 'workspaceId' | 'data'>,
  installationOf: (integrationId: string) => number | undefined,
): InstallationChange | null {
  const data = (event.data ?? {}) as Partial<IntegrationConnectedData>;
  if (data.provider !== 'github' || !event.workspaceId || typeof data.integrationId !== 'string') {
    return null;
  }
  if (CONNECTING.has(event.type)) {
    const installationId = parseInstallationId(data.config?.installationId);
    return installationId === null
      ? null
      : {
          installationId,
          owner: { workspaceId: event.workspaceId, integrationId: data.integrationId },
        };
  }
  if (ENDING.has(event.type)) {
    const installationId = installationOf(data.integrationId);
    return installationId === undefined ? null : { installationId, owner: null };
  }
  return null;
}
