import { AckPolicy, DeliverPolicy, type ConsumerMessages, type JsMsg } from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import {
  parkAndAck,
  PULL_OPTIONS,
  replayedForAnother,
  type Bus,
} from '#libs/messaging/src/index.js';

export interface DurableConsumerOptions {
  stream: string;
  durable: string;
  filterSubject?: string;
  /** How long a replica may hold a message before JetStream gives it to another. */
  ackWaitMs: number;
  /** Messages handled at once by this replica. */
  concurrency: number;
  /** Deliveries before a message is given up on (and logged with its last error). */
  maxDeliver: number;
  /** Ordering: messages with the same key run one after the other here. */
  keyOf?: (msg: JsMsg) => string | null;
}

/**
 * One durable JetStream consumer shared by every engine replica: each message goes to one of
 * them, a failure is retried with a growing delay (`nak`), and after `maxDeliver` tries it is
 * parked in DEAD_LETTERS with its error (ops list, replay and discard it there). What a message does must be idempotent: a replica that
 * dies mid-message gives it back after `ackWaitMs`.
 */
export class DurableConsumer {
  private messages: ConsumerMessages | undefined;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly chains = new Map<string, Promise<void>>();
  private stopped = false;

  constructor(
    private readonly bus: Bus,
    private readonly options: DurableConsumerOptions,
    private readonly handle: (msg: JsMsg) => Promise<void>,
    private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {
    const { stream, durable, filterSubject, ackWaitMs, maxDeliver, concurrency } = this.options;
    const config = {
      durable_name: durable,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      ack_wait: nanos(ackWaitMs),
      max_deliver: maxDeliver,
      max_ack_pending: Math.max(1_000, concurrency * 4),
      ...(filterSubject ? { filter_subject: filterSubject } : {}),
    };
    try {
      await this.bus.jsm.consumers.info(stream, durable);
    } catch {
      await this.bus.jsm.consumers.add(stream, config);
    }
    const consumer = await this.bus.js.consumers.get(stream, durable);
    this.messages = await consumer.consume({
      ...PULL_OPTIONS,
      max_messages: Math.max(16, concurrency * 2),
    });
    void this.run(this.messages);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.messages?.close().catch(() => undefined);
    await Promise.allSettled([...this.inFlight]);
  }

  private async run(messages: ConsumerMessages): Promise<void> {
    try {
      for await (const msg of messages) {
        while (this.inFlight.size >= this.options.concurrency) await Promise.race(this.inFlight);
        const key = this.options.keyOf?.(msg) ?? null;
        const previous = (key !== null && this.chains.get(key)) || Promise.resolve();
        const work = previous.then(() => this.one(msg));
        if (key !== null) this.chains.set(key, work);
        this.inFlight.add(work);
        void work.finally(() => {
          this.inFlight.delete(work);
          if (key !== null && this.chains.get(key) === work) this.chains.delete(key);
        });
      }
    } catch (error) {
      if (!this.stopped)
        this.logger.error({ err: error }, `consumer ${this.options.durable} stopped`);
    }
  }

  private async one(msg: JsMsg): Promise<void> {
    if (replayedForAnother(msg, this.options.durable)) {
      msg.ack();
      return;
    }
    try {
      await this.handle(msg);
      msg.ack();
    } catch (error) {
      const attempt = msg.info.deliveryCount;
      const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      if (attempt >= this.options.maxDeliver) {
        this.logger.error(
          { consumer: this.options.durable, seq: msg.seq, attempt, reason },
          'message parked in dead letters after its last delivery',
        );
        await parkAndAck(this.bus, msg, this.options.durable, attempt, error).catch(() =>
          msg.nak(30_000),
        );
        return;
      }
      this.logger.warn(
        { consumer: this.options.durable, seq: msg.seq, attempt, reason },
        'message failed; retrying',
      );
      msg.nak(Math.min(30_000, 250 * 2 ** attempt));
    }
  }
}
