import {
  AckPolicy,
  DeliverPolicy,
  type ConsumerMessages,
  type JsMsg,
  type MsgRequest,
} from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import type { DataSource, QueryRunner } from 'typeorm';
import { isDatabaseUnavailable } from '#libs/database/src/index.js';
import {
  countParked,
  describe,
  parkInputOf,
  parkMessage,
  PULL_OPTIONS,
  replayedFor,
  replayedForAnother,
  withLinksTo,
  type Bus,
} from '#libs/messaging/src/index.js';
import { projectionBatchApplied } from '#libs/observability/src/metrics/projections.js';
import { checkpointTable } from './checkpoint-sql.js';
import { LeaseSession, type LeaseClient } from './lease-session.js';
import type { Checkpoint, Event, OnApplied, Projection } from './projection.js';

export interface ProjectionRunnerOptions {
  dataSource: DataSource;
  /**
   * Where the leader's connection comes from, held for as long as it leads: its advisory lock
   * and its applies live in that one session. A pool of its own, so that a service's projections
   * do not hold most of the connections its requests need. Default: `dataSource`.
   */
  leases?: DataSource;
  bus: Bus;
  logger: Logger;
  /** Schema whose `projection_checkpoints` table holds this projection's checkpoint. */
  schema: string;
  onApplied?: OnApplied;
  /** Pause before the loop starts again after the database or the bus failed. */
  retryMs?: number;
  /** Tries of one event, while the database answers, before it is parked. */
  maxAttempts?: number;
  /** How often the leader logs its lag and parked count when either is not zero. */
  statusLogMs?: number;
  /**
   * How stale the stored checkpoint may grow while batches apply nothing (events the projection
   * does not handle): after a restart at most this much of them is read again, and skipped
   * again. Default 1 s.
   */
  idleCheckpointMs?: number;
}

export type ProjectionState = 'starting' | 'projecting' | 'standby' | 'paused' | 'stopped';

/** Plain numbers: readiness details, logs and metrics read them. */
export interface ProjectionStatus {
  name: string;
  stream: string;
  state: ProjectionState;
  /** Messages of its stream not yet handled. */
  lag: number;
  /** When the oldest of them reached the stream (ms since epoch); null when none waits. */
  oldestPendingAt: number | null;
  /** Events it could not apply, parked in DEAD_LETTERS for it (ops replay or discard them). */
  parked: number;
  position: string;
  streamSeq: number;
  lastError: string | null;
}

interface Item {
  msg: JsMsg;
  /** The event to apply; undefined when the message moves the checkpoint only. */
  event?: Event;
  /** A message that cannot be read: parked without trying. */
  unreadable?: Error;
}

/** Most events one transaction applies. */
const BATCH = 200;

/**
 * Runs one projection from a JetStream stream into Postgres, in stream order, exactly once in
 * effect, and never stalls on one event:
 * - events arrive in batches (whatever is waiting, up to BATCH); a batch's rows and the
 *   checkpoint (log position and stream sequence) commit together;
 * - a message at or below the checkpoint's stream sequence, or an event at or below its log
 *   position, is acknowledged and skipped (redelivery; a republish outside the dedup window);
 * - a batch that fails is retried one event at a time; an event that keeps failing while the
 *   database answers is parked in DEAD_LETTERS for this projection only, and the checkpoint moves
 *   past it; while the database does not answer, the runner pauses and resumes from the
 *   checkpoint, order intact;
 * - one replica at a time projects (a Postgres advisory lock); whoever takes over recreates the
 *   durable consumer at the checkpoint's next sequence, so order survives crashes and downtime.
 */
export class ProjectionRunner {
  private stopped = false;
  private messages: ConsumerMessages | undefined;
  private lockRunner: QueryRunner | undefined;
  /** The lock's session, where applies run. */
  private lease: LeaseSession | undefined;
  /** Returns the lock's connection to the pool, with the listener put on it. */
  private releaseLock: (() => Promise<void>) | undefined;
  private lockCheckedAt = 0;
  private loop: Promise<void> | undefined;
  private statusTimer: NodeJS.Timeout | undefined;
  private applied: Checkpoint = { position: 0n, streamSeq: 0 };
  /** When the checkpoint was last stored; batches that apply nothing store it at most this often. */
  private storedAt = 0;
  /** The checkpoint the last status read, for the next one while the database is away. */
  private known: Checkpoint | undefined;
  private state: ProjectionState = 'starting';
  private lastError: string | null = null;
  private latest: ProjectionStatus;
  private readonly table: string;
  private readonly retryMs: number;
  private readonly maxAttempts: number;

  constructor(
    readonly projection: Projection,
    private readonly options: ProjectionRunnerOptions,
  ) {
    this.table = checkpointTable(options.schema);
    this.retryMs = options.retryMs ?? 1_000;
    this.maxAttempts = options.maxAttempts ?? 3;
    this.latest = {
      name: projection.name,
      stream: projection.stream,
      state: this.state,
      lag: 0,
      oldestPendingAt: null,
      parked: 0,
      position: '0',
      streamSeq: 0,
      lastError: null,
    };
  }

  get name(): string {
    return this.projection.name;
  }

  /** The checkpoint this replica last committed (0 while another replica leads). */
  get position(): bigint {
    return this.applied.position;
  }

  /** The status read last (see `status()`), without a round trip. */
  get lastStatus(): ProjectionStatus {
    return this.latest;
  }

  start(): void {
    this.loop ??= this.run();
    const every = this.options.statusLogMs ?? 30_000;
    this.statusTimer ??= setInterval(() => void this.logStatus(), every);
    this.statusTimer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.state = 'stopped';
    clearInterval(this.statusTimer);
    await this.messages?.close().catch(() => undefined);
    await this.loop;
  }

  /** Lag and parked count now, from the checkpoint table and the bus. */
  async status(): Promise<ProjectionStatus> {
    const { bus } = this.options;
    const { name, stream } = this.projection;
    // The leader knows a checkpoint newer than the stored one (see `idleCheckpointMs`). While
    // the database is away nothing moves it, so the last one read still says how far behind.
    const checkpoint =
      this.state === 'projecting'
        ? this.applied
        : await this.readCheckpoint().catch((error) => this.known ?? Promise.reject(error));
    this.known = checkpoint;
    let lag: number;
    try {
      const info = await bus.jsm.consumers.info(stream, name);
      lag = info.num_pending + info.num_ack_pending;
    } catch {
      const info = await bus.jsm.streams.info(stream);
      lag = Math.max(0, info.state.last_seq - checkpoint.streamSeq);
    }
    const parked = await countParked(bus.jsm, name);
    const oldestPendingAt = lag > 0 ? await this.firstArrivalAfter(checkpoint) : null;
    this.latest = {
      name,
      stream,
      state: this.state,
      lag,
      oldestPendingAt,
      parked,
      position: checkpoint.position.toString(),
      streamSeq: checkpoint.streamSeq,
      lastError: this.lastError,
    };
    return this.latest;
  }

  /**
   * When the first message past the checkpoint (in the projection's subject) reached the stream:
   * the oldest one not applied, whichever replica leads and however long it has stalled. Null
   * when there is none (the lag was acknowledgements on their way). STREAM.MSG.GET's
   * `next_by_subj` (nats-server 2.9), which the client's MsgRequest type does not list.
   */
  private async firstArrivalAfter(checkpoint: Checkpoint): Promise<number | null> {
    const { stream, subject } = this.projection;
    const next = { seq: checkpoint.streamSeq + 1, next_by_subj: subject ?? '>' };
    const msg = await this.options.bus.jsm.streams.getMessage(stream, next as MsgRequest);
    return msg ? msg.time.getTime() : null;
  }

  private async logStatus(): Promise<void> {
    if (this.state !== 'projecting') return;
    try {
      const status = await this.status();
      if (status.lag > 0 || status.parked > 0) {
        this.options.logger.info(
          { projection: status.name, lag: status.lag, parked: status.parked },
          'projection status',
        );
      }
    } catch {
      // The loop reports its own failures.
    }
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      try {
        if (await this.becomeLeader()) await this.consume();
        else this.state = 'standby';
      } catch (error) {
        if (!this.stopped) {
          this.state = 'paused';
          this.lastError = describe(error);
          this.options.logger.warn(
            { err: error, projection: this.projection.name },
            'projection paused',
          );
        }
      } finally {
        await this.releaseLeadership();
      }
      if (!this.stopped) await sleep(this.retryMs);
    }
  }

  /** The key the gateway's projections always took: replicas of two versions never both lead. */
  private lockKey(): string {
    return `projection:${this.projection.name}`;
  }

  private async becomeLeader(): Promise<boolean> {
    const runner = (this.options.leases ?? this.options.dataSource).createQueryRunner();
    const client = (await runner.connect()) as PooledClient;
    // A held connection whose server goes away emits 'error'; unheard, it would end the
    // process. The next query on it fails instead, and the runner gives up the lead. The
    // listener leaves with the connection: a standby replica asks every `retryMs`, and the pool
    // hands it the same connection each time.
    const ignore = () => undefined;
    client.on?.('error', ignore);
    const release = async () => {
      client.off?.('error', ignore);
      await runner.release();
    };
    try {
      const [{ locked }] = await runner.query(
        `SELECT pg_try_advisory_lock(hashtext($1)) AS locked`,
        [this.lockKey()],
      );
      if (!locked) {
        await release();
        return false;
      }
    } catch (error) {
      await release().catch(() => undefined);
      throw error;
    }
    this.lockRunner = runner;
    this.lease = new LeaseSession(client as unknown as LeaseClient, this.table);
    this.releaseLock = release;
    this.lockCheckedAt = Date.now();
    return true;
  }

  /** The lock lives as long as its session: a session lost to a Postgres restart ends the lead. */
  private async stillLeading(): Promise<void> {
    if (Date.now() - this.lockCheckedAt < 5_000) return;
    await this.lockRunner!.query('SELECT 1');
    this.lockCheckedAt = Date.now();
  }

  private async releaseLeadership(): Promise<void> {
    const runner = this.lockRunner;
    const release = this.releaseLock;
    this.lockRunner = undefined;
    this.lease = undefined;
    this.releaseLock = undefined;
    if (!runner) return;
    await runner
      .query(`SELECT pg_advisory_unlock(hashtext($1))`, [this.lockKey()])
      .catch(() => undefined);
    await (release ?? (() => runner.release()))().catch(() => undefined);
  }

  private async consume(): Promise<void> {
    const { bus, logger } = this.options;
    this.applied = await this.readCheckpoint();
    await this.options.onApplied?.({ checkpoint: this.applied, events: [] });
    const { stream, name, subject } = this.projection;
    await bus.jsm.consumers.delete(stream, name).catch(() => undefined);
    await bus.jsm.consumers.add(stream, {
      durable_name: name,
      // One acknowledgement per batch: the last message's covers every one before it.
      ack_policy: AckPolicy.All,
      deliver_policy: DeliverPolicy.StartSequence,
      opt_start_seq: this.applied.streamSeq + 1,
      ack_wait: nanos(30_000),
      max_ack_pending: 1_000,
      ...(subject ? { filter_subject: subject } : {}),
    });
    const consumer = await bus.js.consumers.get(stream, name);
    this.messages = await consumer.consume({ ...PULL_OPTIONS, max_messages: 256 });
    this.state = 'projecting';
    this.lastError = null;
    logger.info({ projection: name, from: this.applied.streamSeq + 1 }, 'projecting (leading)');
    try {
      await this.drain(this.messages);
    } finally {
      this.messages = undefined;
    }
  }

  /**
   * Takes whatever has arrived (up to BATCH) and applies it in one transaction: under load one
   * commit serves many events; when idle a batch is one event, applied as soon as it lands.
   */
  private async drain(messages: ConsumerMessages): Promise<void> {
    const buffer: JsMsg[] = [];
    let wake: (() => void) | undefined;
    let ended = false;
    const reader = (async () => {
      try {
        for await (const msg of messages) {
          buffer.push(msg);
          wake?.();
        }
      } finally {
        ended = true;
        wake?.();
      }
    })();
    try {
      while (!this.stopped) {
        if (buffer.length === 0) {
          if (ended) break;
          await new Promise<void>((resolve) => (wake = resolve));
          wake = undefined;
          continue;
        }
        const batch = buffer.splice(0, BATCH);
        await this.stillLeading();
        await this.handle(batch);
        batch.at(-1)!.ack();
      }
    } finally {
      await messages.close().catch(() => undefined);
      await reader.catch(() => undefined);
    }
  }

  private classify(msg: JsMsg, after: Checkpoint): Item {
    const { name } = this.projection;
    if (msg.seq <= after.streamSeq || replayedForAnother(msg, name)) return { msg };
    let event: Event;
    try {
      event = msg.json<Event>();
      if (!event || typeof event !== 'object' || typeof event.type !== 'string') {
        throw new Error('not an envelope');
      }
    } catch (error) {
      return { msg, unreadable: error as Error };
    }
    // Applied already (a republish), unless ops replay it for this projection.
    const position = event.position === undefined ? undefined : BigInt(event.position);
    if (position !== undefined && position <= after.position && !replayedFor(msg, name)) {
      return { msg };
    }
    return this.projection.canHandle(event) ? { msg, event } : { msg };
  }

  private async handle(batch: JsMsg[]): Promise<void> {
    const items: Item[] = [];
    let after = this.applied;
    for (const msg of batch) {
      const item = this.classify(msg, after);
      items.push(item);
      after = advance(after, item);
    }
    for (const item of items) {
      if (item.unreadable) await this.park(item, item.unreadable, 1);
    }
    try {
      await withLinksTo(`${this.projection.name} apply`, batch, () =>
        this.commit(
          items.map((i) => (i.unreadable ? { msg: i.msg } : i)),
          items.some((i) => i.unreadable),
        ),
      );
    } catch {
      // Something in the batch fails (or the database is away): find out, one event at a time.
      for (const item of items) await this.commitOne(item);
    }
  }

  private async commitOne(item: Item): Promise<void> {
    if (!item.event || item.unreadable) return this.commit([{ msg: item.msg }]);
    let lastError: unknown;
    for (let attempt = 1; attempt <= this.maxAttempts; attempt++) {
      try {
        return await this.commit([item]);
      } catch (error) {
        lastError = error;
        if (attempt < this.maxAttempts) await sleep(Math.min(2_000, 100 * 2 ** attempt));
      }
    }
    // Not this event's fault while the database is away, or was when the last try failed (a
    // restart that is over by now): pause and come back to it.
    if (isDatabaseUnavailable(lastError) || !(await this.databaseAnswers())) throw lastError;
    await this.park(item, lastError, this.maxAttempts);
    await this.commit([{ msg: item.msg }], true);
  }

  private async park(item: Item, error: unknown, attempts: number): Promise<void> {
    const { bus, logger } = this.options;
    const { name } = this.projection;
    // Acknowledged with the rest of its batch once the checkpoint moved past it.
    await parkMessage(bus, parkInputOf(item.msg, name, attempts, error));
    this.lastError = describe(error);
    logger.error(
      {
        projection: name,
        streamSeq: item.msg.seq,
        eventId: item.event?.id,
        type: item.event?.type,
        err: error,
      },
      'projection parked an event it cannot apply; moving on (npm run admin -- dead-letters list)',
    );
  }

  private async databaseAnswers(): Promise<boolean> {
    try {
      await this.options.dataSource.query('SELECT 1');
      return true;
    } catch {
      return false;
    }
  }

  /** Applies the items' events and records the checkpoint after the last item, atomically. */
  private async commit(items: Item[], afterParking = false): Promise<void> {
    let checkpoint = this.applied;
    for (const item of items) checkpoint = advance(checkpoint, item);
    const events = items.flatMap((i) => (i.event ? [i.event] : []));
    const row = {
      projection: this.projection.name,
      position: checkpoint.position.toString(),
      streamSeq: checkpoint.streamSeq,
    };
    // Most projections handle a few of their stream's event types: a batch of others changes no
    // row, so it does not cost a transaction each time. The next stored checkpoint covers it.
    // Past a parked event it is stored at once, so a restart does not park it again.
    const store =
      events.length > 0 ||
      afterParking ||
      Date.now() - this.storedAt >= (this.options.idleCheckpointMs ?? 1_000);
    // Applies run on the session that holds the lead's lock: a replica whose session ended (and
    // with it the lock another replica may hold by now) cannot commit anything more.
    const lease = this.lease!;
    if (!store) {
      // Nothing to write now.
    } else if (this.projection.checkpointInApply) {
      await this.projection.apply(lease.db, events, row);
    } else {
      await lease.begin();
      try {
        if (events.length > 0) await this.projection.apply(lease.db, events, row);
        await lease.recordAndCommit(row);
      } catch (error) {
        await lease.rollback().catch(() => undefined);
        throw error;
      }
    }
    if (store) this.storedAt = Date.now();
    this.applied = checkpoint;
    const behind = items.at(-1)?.msg.info.pending ?? 0;
    projectionBatchApplied(this.projection.name, events.length);
    await this.options.onApplied?.({ checkpoint, events, behind });
  }

  private async readCheckpoint(): Promise<Checkpoint> {
    const rows = await this.options.dataSource.query(
      `SELECT position, stream_seq FROM ${this.table} WHERE projection = $1`,
      [this.projection.name],
    );
    return rows[0]
      ? { position: BigInt(rows[0].position), streamSeq: Number(rows[0].stream_seq) }
      : { position: 0n, streamSeq: 0 };
  }
}

/** The checkpoint after an item: its sequence, and its event's position if that is higher. */
function advance(checkpoint: Checkpoint, item: Item): Checkpoint {
  const position = item.event?.position === undefined ? undefined : BigInt(item.event.position);
  return {
    position:
      position !== undefined && position > checkpoint.position ? position : checkpoint.position,
    streamSeq: Math.max(checkpoint.streamSeq, item.msg.seq),
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The pg client under a TypeORM query runner, as far as the runner listens to it. */
type PooledClient = {
  on?: (event: 'error', fn: () => void) => void;
  off?: (event: 'error', fn: () => void) => void;
};
