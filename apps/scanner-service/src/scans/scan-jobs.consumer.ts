import type { Logger } from 'pino';
import { nanos } from '@nats-io/transport-node';
import { AckPolicy, type JsMsg } from '@nats-io/jetstream';
import type { ScanJob } from '#libs/contracts/src/index.js';
import { parkAndAck, withParentFrom, type Bus } from '#libs/messaging/src/index.js';
import { SCAN_JOBS_CONSUMER, SCAN_JOBS_STREAM } from './scan-jobs.js';

/**
 * A job that cannot run yet, for a reason expected to pass (what it needs is not committed yet):
 * tried again like any failure, but logged as news, not as an error.
 */
export class NotYet extends Error {}

export type JobHandler = (job: ScanJob, signal: AbortSignal, msg: JsMsg) => Promise<void>;

export interface ScanJobsConsumerOptions {
  /** Jobs this replica runs at once. */
  maxJobs: number;
  /** A job not acknowledged (nor kept alive) within this time goes to another replica. */
  ackWaitMs: number;
  /** Delay before a failed job is tried again. */
  retryDelayMs: number;
  /** Deliveries of one job before it is parked in DEAD_LETTERS and the queue moves on. */
  maxDeliveries: number;
}

/**
 * Pulls jobs from the SCANNER_JOBS work queue through one durable consumer that all replicas
 * share, so each job runs once. A running job keeps its message alive (`working()`); a replica
 * that dies stops doing so and the job is redelivered to another one after `ackWaitMs`, which
 * resumes it from its checkpoint. On shutdown, running jobs are interrupted and handed back at once.
 * A job that fails `maxDeliveries` times (or was handed out more often than that, e.g. because it
 * kills the replica that runs it) is parked in DEAD_LETTERS (`npm run admin -- dead-letters`).
 */
export class ScanJobsConsumer {
  private readonly abort = new AbortController();
  private readonly running = new Set<Promise<void>>();
  private loop: Promise<void> | undefined;

  constructor(
    private readonly bus: Bus,
    private readonly logger: Logger,
    private readonly options: ScanJobsConsumerOptions,
    private readonly handle: JobHandler,
  ) {}

  async start(): Promise<void> {
    const config = {
      durable_name: SCAN_JOBS_CONSUMER,
      ack_policy: AckPolicy.Explicit,
      ack_wait: nanos(this.options.ackWaitMs),
      max_ack_pending: 1_000,
    };
    try {
      await this.bus.jsm.consumers.info(SCAN_JOBS_STREAM, SCAN_JOBS_CONSUMER);
      await this.bus.jsm.consumers.update(SCAN_JOBS_STREAM, SCAN_JOBS_CONSUMER, {
        ack_wait: config.ack_wait,
        max_ack_pending: config.max_ack_pending,
      });
    } catch {
      await this.bus.jsm.consumers.add(SCAN_JOBS_STREAM, config);
    }
    this.loop = this.pull();
  }

  private async pull(): Promise<void> {
    const consumer = await this.bus.js.consumers.get(SCAN_JOBS_STREAM, SCAN_JOBS_CONSUMER);
    while (!this.abort.signal.aborted) {
      if (this.running.size >= this.options.maxJobs) {
        await Promise.race(this.running);
        continue;
      }
      let msg: JsMsg | null = null;
      try {
        msg = await consumer.next({ expires: 1_000 });
      } catch (error) {
        if (this.abort.signal.aborted) break;
        this.logger.warn({ err: error }, 'cannot pull scan jobs; retrying');
        await new Promise((r) => setTimeout(r, 500));
        continue;
      }
      if (!msg) continue;
      if (this.abort.signal.aborted) {
        msg.nak();
        break;
      }
      const run = withParentFrom(`${msg.subject} process`, msg.headers, () =>
        this.run(msg),
      ).finally(() => this.running.delete(run));
      this.running.add(run);
    }
  }

  private async run(msg: JsMsg): Promise<void> {
    const deliveries = msg.info.deliveryCount;
    if (deliveries > this.options.maxDeliveries) {
      const error = new Error(`handed out ${deliveries} times without finishing`);
      return this.park(msg, error);
    }
    const keepAlive = setInterval(() => msg.working(), Math.max(200, this.options.ackWaitMs / 3));
    try {
      const job = msg.json<ScanJob>();
      await this.handle(job, this.abort.signal, msg);
      if (this.abort.signal.aborted) msg.nak();
      else msg.ack();
    } catch (error) {
      if (this.abort.signal.aborted) msg.nak();
      else if (deliveries >= this.options.maxDeliveries) await this.park(msg, error);
      else {
        if (error instanceof NotYet) {
          this.logger.info({ deliveries, reason: error.message }, 'scan job waits; tried again');
        } else {
          this.logger.error({ err: error, deliveries }, 'scan job failed; it will be tried again');
        }
        msg.nak(this.options.retryDelayMs);
      }
    } finally {
      clearInterval(keepAlive);
    }
  }

  private async park(msg: JsMsg, error: unknown): Promise<void> {
    const deliveries = msg.info.deliveryCount;
    try {
      await parkAndAck(this.bus, msg, SCAN_JOBS_CONSUMER, deliveries, error);
      this.logger.error({ err: error, deliveries }, 'scan job parked in dead letters');
    } catch (parkError) {
      this.logger.error({ err: parkError }, 'could not park a scan job; it will be tried again');
      msg.nak(this.options.retryDelayMs);
    }
  }

  /** Stops pulling, interrupts running jobs (they checkpoint and hand their message back). */
  async stop(): Promise<void> {
    this.abort.abort();
    await this.loop?.catch(() => undefined);
    await Promise.allSettled([...this.running]);
  }
}
