import {
  AckPolicy,
  DeliverPolicy,
  type Consumer,
  type ConsumerMessages,
  type JsMsg,
} from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import type { Bus } from './bus.js';
import { withParentFrom } from './bus-client.js';
import { describe, parkAndAck, replayedForAnother } from './dead-letters.js';
import { NotYet, Unretryable } from './failures.js';
import { PULL_OPTIONS } from './pull-options.js';

/** What a call site counts about its messages; the consumer logs them itself. */
export interface DurableConsumerObserver {
  retried?(msg: JsMsg, attempt: number, error: unknown): void;
  parked?(msg: JsMsg, attempt: number, error: unknown): void;
}

export interface DurableConsumerOptions {
  stream: string;
  durable: string;
  filterSubject?: string;
  /** How long a replica may hold a message (without `keepAlive`) before another gets it. */
  ackWaitMs: number;
  /** Unacknowledged messages JetStream hands out to all replicas together. */
  maxAckPending?: number;
  /** Messages handled at once by this replica. */
  concurrency: number;
  /** Deliveries before a failing message (or one never finished) is parked in DEAD_LETTERS. */
  maxDeliver: number;
  /** Delay before a message that failed on delivery `attempt` (from 1) is handed out again. */
  retryDelayMs: (attempt: number) => number;
  /** Ordering: messages with the same key run one after the other on this replica. */
  keyOf?: (msg: JsMsg) => string | null;
  /**
   * Messages pulled ahead of free places (default `max(16, 2 x concurrency)`), so a busy replica
   * never waits a pull's round trip for its next message. 0 pulls only for a free place: for long
   * jobs, which would use up their ack wait in this replica's buffer while an idle one could run
   * them.
   */
  prefetch?: number;
  /** Tells JetStream a long-running message is still being worked on (`working()`). */
  keepAlive?: boolean;
  /** What the log lines about a message say of it besides its consumer and sequence. */
  logContext?: (msg: JsMsg) => Record<string, unknown>;
  observer?: DurableConsumerObserver;
}

/** Handles one message; `signal` aborts when the consumer stops (see `stop`). */
export type MessageHandler = (msg: JsMsg, signal: AbortSignal) => Promise<void>;

/**
 * The one durable JetStream consumer loop, shared by a service's replicas: each message goes to
 * one of them, is handled in the trace it came with, and is acknowledged; a failure is retried
 * after `retryDelayMs` (`nak`), and after `maxDeliver` deliveries it is parked in DEAD_LETTERS
 * with its error and acknowledged (`npm run admin -- dead-letters`). What a message does must be
 * idempotent: a replica that dies mid-message gives it back after `ackWaitMs`.
 */
export class DurableConsumer {
  private readonly abort = new AbortController();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly chains = new Map<string, Promise<void>>();
  private batch: ConsumerMessages | undefined;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly bus: Bus,
    private readonly options: DurableConsumerOptions,
    private readonly handle: MessageHandler,
    private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {
    await this.ensure();
    const consumer = await this.bus.js.consumers.get(this.options.stream, this.options.durable);
    this.loop = this.pull(consumer);
  }

  /** Stops pulling, interrupts running handlers and hands their messages back at once. */
  async stop(): Promise<void> {
    this.abort.abort();
    await this.batch?.close().catch(() => undefined);
    await this.loop?.catch(() => undefined);
    await Promise.allSettled([...this.inFlight]);
  }

  /**
   * Creates the consumer, or brings an existing one to this deployment's ack wait and limit.
   * No `max_deliver` on the server: a message that kills every replica it reaches would then
   * just stop being delivered; counted here, it is parked instead.
   */
  private async ensure(): Promise<void> {
    const { stream, durable, filterSubject, ackWaitMs, concurrency } = this.options;
    const settings = {
      ack_wait: nanos(ackWaitMs),
      max_ack_pending: this.options.maxAckPending ?? Math.max(1_000, concurrency * 4),
    };
    const existing = await this.bus.jsm.consumers.info(stream, durable).catch(() => null);
    if (existing) {
      await this.bus.jsm.consumers.update(stream, durable, settings);
      return;
    }
    await this.bus.jsm.consumers.add(stream, {
      durable_name: durable,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      ...settings,
      ...(filterSubject ? { filter_subject: filterSubject } : {}),
    });
  }

  private async pull(consumer: Consumer): Promise<void> {
    const { signal } = this.abort;
    const { concurrency, prefetch = Math.max(16, concurrency * 2) } = this.options;
    while (!signal.aborted) {
      try {
        const free = concurrency - this.inFlight.size;
        if (prefetch === 0 && free <= 0) {
          await Promise.race(this.inFlight);
          continue;
        }
        this.batch =
          prefetch === 0
            ? await consumer.fetch({ ...PULL_OPTIONS, max_messages: free })
            : await consumer.consume({ ...PULL_OPTIONS, max_messages: prefetch });
        if (signal.aborted) await this.batch.close();
        for await (const msg of this.batch) {
          while (this.inFlight.size >= concurrency) await Promise.race(this.inFlight);
          this.take(msg);
        }
      } catch (error) {
        if (signal.aborted) break;
        this.logger.warn({ err: error, consumer: this.options.durable }, 'cannot pull; retrying');
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
  }

  private take(msg: JsMsg): void {
    const key = this.keyOf(msg);
    const previous = (key !== null && this.chains.get(key)) || Promise.resolve();
    const work = previous.then(() =>
      withParentFrom(`${msg.subject} process`, msg.headers, () => this.one(msg)),
    );
    if (key !== null) this.chains.set(key, work);
    this.inFlight.add(work);
    void work.finally(() => {
      this.inFlight.delete(work);
      if (key !== null && this.chains.get(key) === work) this.chains.delete(key);
    });
  }

  private keyOf(msg: JsMsg): string | null {
    try {
      return this.options.keyOf?.(msg) ?? null;
    } catch {
      return null; // Unreadable: its handler says so; nothing to order it with.
    }
  }

  private async one(msg: JsMsg): Promise<void> {
    const { durable, maxDeliver, keepAlive, ackWaitMs } = this.options;
    const { signal } = this.abort;
    if (replayedForAnother(msg, durable)) return msg.ack();
    // Stopping: not started yet, so another replica may have it now.
    if (signal.aborted) return msg.nak();
    const attempt = msg.info.deliveryCount;
    // Handed out more often than allowed without an answer: it may kill the replica it runs on.
    if (attempt > maxDeliver) {
      return this.park(msg, attempt, new Error(`handed out ${attempt} times without finishing`));
    }
    const working = keepAlive
      ? setInterval(() => msg.working(), Math.max(200, ackWaitMs / 3))
      : undefined;
    try {
      await this.handle(msg, signal);
      msg.ack();
    } catch (error) {
      if (error instanceof Unretryable) await this.park(msg, attempt, error);
      // Interrupted by `stop`: handed back at once, not counted as a failure of the message.
      else if (signal.aborted) msg.nak();
      else if (attempt >= maxDeliver) await this.park(msg, attempt, error);
      else this.retry(msg, attempt, error);
    } finally {
      clearInterval(working);
    }
  }

  private retry(msg: JsMsg, attempt: number, error: unknown): void {
    const delay = this.options.retryDelayMs(attempt);
    const fields = { ...this.context(msg), attempt, delay, reason: describe(error) };
    if (error instanceof NotYet) this.logger.info(fields, 'message waits; tried again later');
    else this.logger.warn(fields, 'message failed; retrying');
    this.options.observer?.retried?.(msg, attempt, error);
    msg.nak(delay);
  }

  private async park(msg: JsMsg, attempt: number, error: unknown): Promise<void> {
    try {
      await parkAndAck(this.bus, msg, this.options.durable, attempt, error);
    } catch (parkError) {
      this.logger.error({ ...this.context(msg), err: parkError }, 'could not park; retrying');
      msg.nak(this.options.retryDelayMs(attempt));
      return;
    }
    this.logger.error(
      { ...this.context(msg), attempt, reason: describe(error) },
      'message parked in dead letters',
    );
    this.options.observer?.parked?.(msg, attempt, error);
  }

  private context(msg: JsMsg): Record<string, unknown> {
    const base = { consumer: this.options.durable, seq: msg.seq };
    try {
      return { ...base, ...this.options.logContext?.(msg) };
    } catch {
      return base;
    }
  }
}
