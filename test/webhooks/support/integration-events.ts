import { randomUUID } from 'node:crypto';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstream } from '@nats-io/jetstream';
import {
  createEnvelope,
  eventSubject,
  IntegrationEventTypes,
  IntegrationSubjects,
  RuleSubjects,
} from '#libs/contracts/src/index.js';
import { githubConnected } from '../../support/github-connected.js';

/**
 * Publishes the integration service's GitHub connect/disconnect events on the real
 * INTEGRATION_EVENTS stream, shaped as libs/contracts/src/integrations.ts defines them, for the
 * intake tests that run without the integration service.
 */
export class IntegrationEventsPublisher {
  private constructor(private readonly nc: NatsConnection) {}

  static async connect(url: string): Promise<IntegrationEventsPublisher> {
    return new IntegrationEventsPublisher(await connect({ servers: url }));
  }

  async connected(workspaceId: string, installationId: number, integrationId = randomUUID()) {
    await this.publish(
      IntegrationEventTypes.connected,
      workspaceId,
      githubConnected(integrationId, 'octo-org', String(installationId)),
    );
    return integrationId;
  }

  async disconnected(workspaceId: string, integrationId: string) {
    await this.publish(IntegrationEventTypes.disconnected, workspaceId, {
      integrationId,
      provider: 'github',
      reason: 'test',
      disconnectedAt: new Date().toISOString(),
    });
  }

  /** Any other event on the stream (a rule's), after the GitHub ones. */
  async ruleCreated(workspaceId: string) {
    await this.publish('RuleCreated', workspaceId, { ruleId: randomUUID() }, RuleSubjects.events);
  }

  private async publish(
    type: string,
    workspaceId: string,
    data: Record<string, unknown>,
    prefix: string = IntegrationSubjects.events,
  ) {
    const envelope = createEnvelope({ type, workspaceId, data });
    await jetstream(this.nc).publish(eventSubject(prefix, type), JSON.stringify(envelope), {
      msgID: envelope.id,
    });
  }

  async close() {
    await this.nc.close();
  }
}
