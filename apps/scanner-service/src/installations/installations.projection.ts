import type { Logger } from 'pino';
import { IntegrationEventTypes, IntegrationSubjects, Streams } from '#libs/contracts/src/index.js';
import type { Bus } from '#libs/messaging/src/index.js';
import type { Projection } from '#libs/projections/src/index.js';
import { enqueueScanJob } from '../scans/scan-jobs.js';
import type { InstallationStore } from './installation.store.js';

/** Also the name of the durable consumer the scanner used before the projection runner. */
export const INSTALLATIONS_PROJECTION = 'scanner-integrations';

interface GithubIntegrationData {
  integrationId?: string;
  provider?: string;
  config?: { installationId?: string | number; accountLogin?: string };
}

/**
 * Follows the integration service's events, in order and once each (the service's projection
 * runner: an event at or below the checkpoint, such as a late republish of a `Connected`, is
 * skipped): a GitHub integration that connects gets its installation recorded and a discovery
 * job queued (not a full scan); a disconnect or delete stops scans through that integration.
 */
export function installationsProjection(deps: {
  installations: InstallationStore;
  bus: Bus;
  logger: Logger;
}): Projection {
  return {
    name: INSTALLATIONS_PROJECTION,
    stream: Streams.integrationEvents.name,
    subject: `${IntegrationSubjects.events}.>`,
    canHandle: (event) =>
      (event.data as GithubIntegrationData | null)?.provider === 'github' && !!event.workspaceId,
    async apply(tx, events) {
      for (const event of events) {
        const data = event.data as GithubIntegrationData;
        const workspaceId = event.workspaceId!;
        if (typeof data.integrationId !== 'string') continue;
        switch (event.type) {
          case IntegrationEventTypes.connected:
          case IntegrationEventTypes.created: {
            const installationId = data.config?.installationId;
            const accountLogin = data.config?.accountLogin;
            if (installationId === undefined || !accountLogin) {
              deps.logger.warn(
                { eventId: event.id },
                'GitHub connected without installationId/accountLogin',
              );
              continue;
            }
            await deps.installations.connect(
              {
                workspaceId,
                integrationId: data.integrationId,
                installationId: String(installationId),
                accountLogin,
              },
              tx,
            );
            // Within the transaction: if it rolls back, the retry queues it again (same id).
            await enqueueScanJob(
              deps.bus,
              { kind: 'discover', workspaceId, integrationId: data.integrationId },
              `discover:${event.id}`,
            );
            continue;
          }
          case IntegrationEventTypes.disconnected:
          case IntegrationEventTypes.deleted:
            await deps.installations.disconnect(data.integrationId, tx);
            continue;
        }
      }
    },
  };
}
