import { Inject, Injectable } from '@nestjs/common';
import {
  GITHUB_WEBHOOK_RECEIVED,
  githubWebhookSubject,
  type GithubWebhookDelivery,
} from '#libs/contracts/src/index.js';
import type { Bus } from '#libs/messaging/src/index.js';
import { BUS, SERVICE_CONFIG } from '#libs/service-kit/src/index.js';
import { slimPayload } from './read-delivery.js';
import type { WebhookConfig } from './webhook.config.js';

export class BusUnavailable extends Error {
  override name = 'BusUnavailable';
}

export class DeliveryTooLargeForBus extends Error {
  override name = 'DeliveryTooLargeForBus';
}

/** Room left in one bus message for the envelope's own fields and headers. */
const HEADROOM_BYTES = 8 * 1024;

/**
 * Stores a verified delivery in stream GITHUB_WEBHOOKS and resolves only once JetStream has
 * acknowledged it; `Nats-Msg-Id` = delivery id makes GitHub's redeliveries duplicates there.
 */
@Injectable()
export class DeliveryPublisher {
  constructor(
    @Inject(BUS) private readonly bus: Bus,
    @Inject(SERVICE_CONFIG) private readonly config: WebhookConfig,
  ) {}

  async publish(
    delivery: GithubWebhookDelivery,
    workspaceId: string,
    rawBody: Buffer,
  ): Promise<{ duplicate: boolean; seq: number }> {
    const limit = (this.bus.nc.info?.max_payload ?? 1024 * 1024) - HEADROOM_BYTES;
    let message = this.encode(delivery, workspaceId, rawBody);
    if (message.length > limit) {
      const slim = { ...delivery, payload: slimPayload(delivery.payload), slimmed: true };
      message = this.encode(slim, workspaceId, Buffer.from(JSON.stringify(slim.payload)));
      if (message.length > limit) {
        throw new DeliveryTooLargeForBus(
          `even without the parts processing ignores, the delivery is ${message.length} bytes`,
        );
      }
    }
    try {
      const ack = await this.bus.publish(githubWebhookSubject(delivery.event), message, {
        msgID: delivery.deliveryId,
        timeout: this.config.GITHUB_WEBHOOK_PUBLISH_TIMEOUT_MS,
      });
      return { duplicate: ack.duplicate, seq: ack.seq };
    } catch (error) {
      throw new BusUnavailable(error instanceof Error ? error.message : String(error));
    }
  }

  /**
   * The envelope with the body spliced in as received (it parsed as a JSON object), so a large
   * payload is not serialised a second time.
   */
  private encode(delivery: GithubWebhookDelivery, workspaceId: string, body: Buffer): Buffer {
    const { payload: _payload, ...rest } = delivery;
    const head = JSON.stringify({
      id: delivery.deliveryId,
      type: GITHUB_WEBHOOK_RECEIVED,
      schemaVersion: 1,
      occurredAt: delivery.receivedAt,
      workspaceId,
      correlationId: delivery.deliveryId,
      causationId: null,
      actor: 'github-webhook',
      data: rest,
    });
    // head ends with `}}`: reopen `data` to add the payload.
    return Buffer.concat([
      Buffer.from(head.slice(0, -2)),
      Buffer.from(',"payload":'),
      body,
      Buffer.from('}}'),
    ]);
  }
}
