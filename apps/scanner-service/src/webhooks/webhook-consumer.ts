import {
  Inject,
  Injectable,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import type { JsMsg } from '@nats-io/jetstream';
import { webhookReceiptToApplied } from '#libs/observability/src/metrics/webhooks.js';
import type { Logger } from 'pino';
import {
  GITHUB_WEBHOOK_CONSUMER,
  Streams,
  type GithubWebhookEnvelope,
} from '#libs/contracts/src/index.js';
import {
  DurableConsumer,
  exponentialBackoff,
  MessageBodies,
  Unretryable,
  type Bus,
} from '#libs/messaging/src/index.js';
import { BUS, LOGGER } from '#libs/service-kit/src/index.js';
import { DeliveryProcessor } from './delivery-processor.js';
import { orderingKey } from './plan.js';
import type { RetryPolicy } from './retry-policy.js';
import { WebhookCounters } from './webhook-counters.js';

export const WEBHOOK_PROCESSING_OPTIONS = Symbol('WEBHOOK_PROCESSING_OPTIONS');

export interface WebhookProcessingOptions {
  retry: RetryPolicy;
  /** Deliveries processed at once per replica (each holds one Postgres connection). */
  concurrency: number;
}

/**
 * The scanner's durable consumer of GITHUB_WEBHOOKS, shared by its replicas. Deliveries about one
 * repository run one after the other here (and the processor's version check orders them across
 * replicas); a failure is retried with exponential backoff and, once the tries are spent, parked
 * in DEAD_LETTERS (`npm run admin -- dead-letters list`). A message that is not JSON, or a payload
 * that cannot be read (UnreadablePayload), will not read better later: parked at once.
 */
@Injectable()
export class WebhookConsumer implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly consumer: DurableConsumer;
  private readonly envelopes = new MessageBodies<GithubWebhookEnvelope>();

  constructor(
    @Inject(BUS) bus: Bus,
    private readonly processor: DeliveryProcessor,
    private readonly counters: WebhookCounters,
    @Inject(WEBHOOK_PROCESSING_OPTIONS) options: WebhookProcessingOptions,
    @Inject(LOGGER) logger: Logger,
  ) {
    this.consumer = new DurableConsumer(
      bus,
      {
        stream: Streams.githubWebhooks.name,
        durable: GITHUB_WEBHOOK_CONSUMER,
        // Long enough for a repository rescan; a replica that dies mid-work gives it back then.
        ackWaitMs: 60_000,
        concurrency: options.concurrency,
        maxDeliver: options.retry.maxAttempts,
        retryDelayMs: exponentialBackoff(options.retry.baseDelayMs, options.retry.maxDelayMs),
        keyOf: (msg) => {
          const envelope = this.envelopeOf(msg);
          const ordering = orderingKey(envelope.data);
          return ordering === null ? null : `${envelope.workspaceId}:${ordering}`;
        },
        logContext: (msg) => {
          const { deliveryId, event } = this.envelopeOf(msg).data;
          return { deliveryId, event };
        },
        observer: {
          retried: (msg) => this.count(msg, 'retried'),
          parked: (msg) => this.count(msg, 'dead_lettered'),
        },
      },
      (msg) => this.handle(msg),
      logger,
    );
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.consumer.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.consumer.stop();
  }

  private async handle(msg: JsMsg): Promise<void> {
    const envelope = this.envelopeOf(msg);
    const { event } = envelope.data;
    const outcome = await this.processor.process(envelope, msg.seq, msg.info.deliveryCount);
    this.counters.count(event, outcome);
    const receivedAt = Date.parse(envelope.data.receivedAt);
    if (Number.isFinite(receivedAt))
      webhookReceiptToApplied.observe({ event }, Math.max(0, Date.now() - receivedAt) / 1000);
  }

  /** A delivery, read once for its ordering key and its handler; not JSON, it never will be. */
  private envelopeOf(msg: JsMsg): GithubWebhookEnvelope {
    try {
      return this.envelopes.of(msg);
    } catch (error) {
      throw new Unretryable(`webhook message is not JSON: ${(error as Error).message}`);
    }
  }

  /** Counts by event; a message that is not JSON has none, and is counted by no event. */
  private count(msg: JsMsg, outcome: string): void {
    let event: string;
    try {
      event = this.envelopeOf(msg).data.event;
    } catch {
      return;
    }
    this.counters.count(event, outcome);
  }
}
