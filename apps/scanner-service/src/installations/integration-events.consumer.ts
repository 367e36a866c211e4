import type { Logger } from 'pino';
import { nanos } from '@nats-io/transport-node';
import { AckPolicy, type ConsumerMessages } from '@nats-io/jetstream';
import {
  IntegrationEventTypes,
  IntegrationSubjects,
  Streams,
  type Envelope,
} from '#libs/contracts/src/index.js';
import type { Bus } from '#libs/messaging/src/index.js';
import { enqueueScanJob } from '../scans/scan-jobs.js';
import type { InstallationStore } from './installation.store.js';

export const INTEGRATION_EVENTS_CONSUMER = 'scanner-integrations';

interface GithubIntegrationData {
  integrationId?: string;
  provider?: string;
  config?: { installationId?: string | number; accountLogin?: string };
}

/**
 * Follows the integration service's events: a workspace that connects GitHub gets its
 * installation recorded here and a discovery job queued (not a full scan); a disconnect or
 * delete stops further scans. A durable consumer: events published while the scanner was down
 * are applied when it is back.
 */
export class IntegrationEventsConsumer {
  private messages: ConsumerMessages | undefined;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly bus: Bus,
    private readonly installations: InstallationStore,
    private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {
    const stream = Streams.integrationEvents.name;
    try {
      await this.bus.jsm.consumers.info(stream, INTEGRATION_EVENTS_CONSUMER);
    } catch {
      await this.bus.jsm.consumers.add(stream, {
        durable_name: INTEGRATION_EVENTS_CONSUMER,
        ack_policy: AckPolicy.Explicit,
        ack_wait: nanos(30_000),
        filter_subject: `${IntegrationSubjects.events}.>`,
      });
    }
    const consumer = await this.bus.js.consumers.get(stream, INTEGRATION_EVENTS_CONSUMER);
    this.messages = await consumer.consume({ max_messages: 100 });
    const messages = this.messages;
    this.loop = (async () => {
      for await (const msg of messages) {
        try {
          await this.apply(msg.json<Envelope<string, GithubIntegrationData>>());
          msg.ack();
        } catch (error) {
          this.logger.error({ err: error }, 'could not apply an integration event; retrying');
          msg.nak(1_000);
        }
      }
    })();
  }

  async apply(event: Envelope<string, GithubIntegrationData>): Promise<void> {
    const data = event.data;
    if (data?.provider !== 'github' || !event.workspaceId) return;
    switch (event.type) {
      case IntegrationEventTypes.connected:
      case IntegrationEventTypes.created: {
        const installationId = data.config?.installationId;
        const accountLogin = data.config?.accountLogin;
        if (installationId === undefined || !accountLogin) {
          this.logger.warn(
            { eventId: event.id },
            'GitHub connected without installationId/accountLogin',
          );
          return;
        }
        await this.installations.connect({
          workspaceId: event.workspaceId,
          integrationId: data.integrationId ?? null,
          installationId: String(installationId),
          accountLogin,
        });
        await enqueueScanJob(
          this.bus,
          { kind: 'discover', workspaceId: event.workspaceId },
          `discover:${event.id}`,
        );
        return;
      }
      case IntegrationEventTypes.disconnected:
      case IntegrationEventTypes.deleted:
        await this.installations.disconnect(event.workspaceId);
        return;
    }
  }

  async stop(): Promise<void> {
    await this.messages?.close().catch(() => undefined);
    await this.loop?.catch(() => undefined);
  }
}
