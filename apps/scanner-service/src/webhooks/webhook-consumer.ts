import {
  Inject,
  Injectable,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import { AckPolicy, DeliverPolicy, type ConsumerMessages, type JsMsg } from '@nats-io/jetstream';
import { webhookReceiptToApplied } from '#libs/observability/src/metrics/webhooks.js';
import { nanos } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import {
  GITHUB_WEBHOOK_CONSUMER,
  Streams,
  type GithubWebhookEnvelope,
} from '#libs/contracts/src/index.js';
import {
  parkAndAck,
  PULL_OPTIONS,
  replayedForAnother,
  withParentFrom,
  type Bus,
} from '#libs/messaging/src/index.js';
import { BUS, LOGGER } from '#libs/service-kit/src/index.js';
import { DeliveryProcessor } from './delivery-processor.js';
import { orderingKey, UnreadablePayload } from './plan.js';
import { exhausted, retryDelayMs, type RetryPolicy } from './retry-policy.js';
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
 * replicas); a failure is retried with exponential backoff (`nak` with a delay) and, once the
 * tries are spent, parked in DEAD_LETTERS (`npm run admin -- dead-letters list`) and acknowledged.
 */
@Injectable()
export class WebhookConsumer implements OnApplicationBootstrap, OnModuleDestroy {
  private messages: ConsumerMessages | undefined;
  private readonly chains = new Map<string, Promise<void>>();
  private readonly inFlight = new Set<Promise<void>>();
  private stopped = false;

  constructor(
    @Inject(BUS) private readonly bus: Bus,
    private readonly processor: DeliveryProcessor,
    private readonly counters: WebhookCounters,
    @Inject(WEBHOOK_PROCESSING_OPTIONS) private readonly options: WebhookProcessingOptions,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const stream = Streams.githubWebhooks.name;
    const config = {
      durable_name: GITHUB_WEBHOOK_CONSUMER,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      // Long enough for a repository rescan; a replica that dies mid-work gives it back then.
      ack_wait: nanos(60_000),
      max_ack_pending: 1_000,
    };
    try {
      await this.bus.jsm.consumers.info(stream, GITHUB_WEBHOOK_CONSUMER);
    } catch {
      await this.bus.jsm.consumers.add(stream, config);
    }
    const consumer = await this.bus.js.consumers.get(stream, GITHUB_WEBHOOK_CONSUMER);
    this.messages = await consumer.consume({
      ...PULL_OPTIONS,
      max_messages: Math.max(16, this.options.concurrency * 2),
    });
    void this.run(this.messages);
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    await this.messages?.close().catch(() => undefined);
    await Promise.allSettled([...this.inFlight]);
  }

  private async run(messages: ConsumerMessages): Promise<void> {
    try {
      for await (const msg of messages) {
        while (this.inFlight.size >= this.options.concurrency) await Promise.race(this.inFlight);
        if (replayedForAnother(msg, GITHUB_WEBHOOK_CONSUMER)) {
          msg.ack();
          continue;
        }
        let envelope: GithubWebhookEnvelope;
        try {
          envelope = msg.json<GithubWebhookEnvelope>();
        } catch (error) {
          this.logger.error({ seq: msg.seq }, 'webhook message is not JSON: parked');
          await parkAndAck(this.bus, msg, GITHUB_WEBHOOK_CONSUMER, 1, error).catch(() =>
            msg.nak(1_000),
          );
          continue;
        }
        const ordering = orderingKey(envelope.data);
        const key = ordering === null ? null : `${envelope.workspaceId}:${ordering}`;
        const previous = (key !== null && this.chains.get(key)) || Promise.resolve();
        const work = previous.then(() =>
          withParentFrom(`${msg.subject} process`, msg.headers, () => this.handle(msg, envelope)),
        );
        if (key !== null) this.chains.set(key, work);
        this.inFlight.add(work);
        void work.finally(() => {
          this.inFlight.delete(work);
          if (key !== null && this.chains.get(key) === work) this.chains.delete(key);
        });
      }
    } catch (error) {
      if (!this.stopped) this.logger.error({ err: error }, 'webhook consumer stopped');
    }
  }

  private async handle(msg: JsMsg, envelope: GithubWebhookEnvelope): Promise<void> {
    const attempt = msg.info.deliveryCount;
    const { deliveryId, event } = envelope.data;
    // Handed out more often than allowed without an answer (it kills the replica that runs it?).
    if (attempt > this.options.retry.maxAttempts) {
      await parkAndAck(this.bus, msg, GITHUB_WEBHOOK_CONSUMER, attempt, 'never finished').then(
        () => this.counters.count(event, 'dead_lettered'),
        () => msg.nak(retryDelayMs(this.options.retry, attempt)),
      );
      return;
    }
    try {
      const outcome = await this.processor.process(envelope, msg.seq, attempt);
      this.counters.count(event, outcome);
      msg.ack();
      const receivedAt = Date.parse(envelope.data.receivedAt);
      if (Number.isFinite(receivedAt))
        webhookReceiptToApplied.observe({ event }, Math.max(0, Date.now() - receivedAt) / 1000);
    } catch (error) {
      const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      // A payload that cannot be read will not read better later: park it at once.
      if (error instanceof UnreadablePayload || exhausted(this.options.retry, attempt)) {
        try {
          await parkAndAck(this.bus, msg, GITHUB_WEBHOOK_CONSUMER, attempt, error);
          this.counters.count(event, 'dead_lettered');
          this.logger.error(
            { deliveryId, event, attempt, reason },
            'delivery parked in dead letters',
          );
        } catch (parkError) {
          this.logger.error({ deliveryId, err: parkError }, 'could not park delivery; retrying it');
          msg.nak(retryDelayMs(this.options.retry, attempt));
        }
        return;
      }
      const delay = retryDelayMs(this.options.retry, attempt);
      this.counters.count(event, 'retried');
      this.logger.warn({ deliveryId, event, attempt, delay, reason }, 'delivery failed; retrying');
      msg.nak(delay);
    }
  }
}
