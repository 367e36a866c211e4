import {
  createEnvelope,
  eventSubject,
  IntegrationSubjects,
  RuleSubjects,
  type Envelope,
} from '#libs/contracts/src/index.js';
import type { Bus } from '#libs/messaging/src/index.js';

/**
 * Publishes events to INTEGRATION_EVENTS exactly as the integration service's publisher does
 * (envelope JSON, `Nats-Msg-Id` = event id), for projection tests that must control positions.
 */
export class EventLog {
  private position = 1_000_000n;
  private readonly versions = new Map<string, number>();

  constructor(private readonly bus: Bus) {}

  next(type: string, workspaceId: string, streamId: string, data: unknown): Envelope {
    this.position += 1n;
    const version = (this.versions.get(streamId) ?? 0) + 1;
    this.versions.set(streamId, version);
    return {
      ...createEnvelope({ type, data, workspaceId }),
      position: this.position.toString(),
      streamId,
      streamVersion: version,
    };
  }

  async publish(event: Envelope, msgID = event.id): Promise<void> {
    const prefix = event.type.startsWith('Rule') ? RuleSubjects.events : IntegrationSubjects.events;
    await this.bus.js.publish(eventSubject(prefix, event.type), JSON.stringify(event), { msgID });
  }
}
