import type pg from 'pg';
import { publisherPublished, watchPublisher } from '#libs/observability/src/metrics/event-store.js';
import type { EventStore } from './event-store.js';
import { eventStoreSetAsideSql } from './schema.js';
import type { StoredEvent } from './types.js';

/** An event the bus can never take (too large for it): published around, not retried. */
export interface SetAsideEvent {
  event: StoredEvent;
  bytes: number;
  reason: string;
}

/**
 * Publishes one batch in order; throws to have the whole batch retried (consumers dedupe).
 * Answers the events it set aside instead of publishing, if any.
 */
export type PublishBatch = (events: readonly StoredEvent[]) => Promise<void | SetAsideEvent[]>;

export interface PublisherLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error?(obj: object, msg: string): void;
}

export interface PublisherOptions {
  /** Names the checkpoint and the leader lock: one active publisher per name across replicas. */
  name: string;
  pollIntervalMs?: number;
  batchSize?: number;
  /** How often a replica that is not the leader tries to become it. */
  leaderRetryMs?: number;
  /** At most one checkpoint write per interval (and one when stopping). */
  checkpointEveryMs?: number;
  logger?: PublisherLogger;
}

interface Hole {
  /** The highest position seen when the hole was found: missing positions below it are holes. */
  below: bigint;
  /** Transactions in progress at that moment; one of them may still commit a missing row. */
  inProgress: string[];
}

/**
 * Tails the log by position and publishes every event, at least once, in log order.
 *
 * The late-commit gap: positions come from a sequence before commit, so position 7 can become
 * visible while 6 is still in an open transaction (or 6 belongs to a transaction that rolled back
 * and will never appear). The publisher never skips past a missing position on sight. After the
 * read it notes the transactions that are writing to the events table right now (they hold a
 * RowExclusiveLock on it and a lock on their own transaction id, both taken before `nextval()`;
 * see `EventStore.append`). The owner of a missing position below a visible row is either among
 * them or already finished. Once all of them have ended, a re-read shows the missing row if it
 * committed; otherwise the gap is permanent. Only this table's writers are waited for, not every
 * transaction on the server. Publishing therefore follows position order exactly, and consumers
 * can keep "last position applied" as their checkpoint.
 *
 * Across replicas one publisher is active: it holds a session advisory lock; the others wait.
 */
export class EventPublisher {
  private readonly pollIntervalMs: number;
  private readonly batchSize: number;
  private readonly leaderRetryMs: number;
  private readonly lockKey: number;
  private client: pg.PoolClient | undefined;
  private onClientError: ((error: Error) => void) | undefined;
  private last = 0n;
  private saved = 0n;
  private savedAt = 0;
  private readonly checkpointEveryMs: number;
  private hole: Hole | undefined;
  private prefetched: { after: bigint; events: StoredEvent[] } | undefined;
  /** Events this process committed and handed over (see `wake`), by position. */
  private readonly handed = new Map<bigint, StoredEvent>();
  private stopped = true;
  private loop: Promise<void> | undefined;
  private wakeUp: (() => void) | undefined;
  private backingOff = false;
  private woken = false;
  private readonly waiters = new Set<{ position: bigint; resolve: () => void }>();
  /** Backlog as last read, for the lag metrics (see `watchPublisher`). */
  private pendingPositions = 0;
  private oldestPendingAt: number | undefined;
  private unwatch: (() => void) | undefined;
  /** Test hook: fail right after publishing a batch, before the checkpoint is saved. */
  crashAfterPublish = false;

  constructor(
    private readonly store: EventStore,
    private readonly publish: PublishBatch,
    private readonly options: PublisherOptions,
  ) {
    this.pollIntervalMs = options.pollIntervalMs ?? 20;
    this.batchSize = options.batchSize ?? 500;
    this.leaderRetryMs = options.leaderRetryMs ?? 1_000;
    this.checkpointEveryMs = options.checkpointEveryMs ?? 100;
    this.lockKey = hashToInt(`event-publisher:${store.tables.schema}:${options.name}`);
  }

  /** Last position published (checkpointed within `checkpointEveryMs`). */
  get position(): string {
    return this.last.toString();
  }

  get isLeader(): boolean {
    return this.client !== undefined;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.unwatch = watchPublisher(() => ({
      name: this.options.name,
      isLeader: this.isLeader,
      pendingPositions: this.pendingPositions,
      oldestPendingAt: this.oldestPendingAt,
    }));
    this.loop = this.run();
  }

  /** Stops after the batch in flight and saves the checkpoint. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.unwatch?.();
    this.wakeUp?.();
    await this.loop;
    if (this.client && this.saved < this.last) {
      await this.saveCheckpoint(this.client).catch(() => undefined);
    }
    await this.releaseLeadership();
  }

  /**
   * An append just committed in this process: look now instead of at the next poll. `appended`
   * (what it appended, as `EventStore.write` answered) is published without reading it back
   * when nothing unpublished comes before it (see `handedOver`).
   */
  wake(appended: readonly StoredEvent[] = []): void {
    if (this.client && this.handed.size + appended.length <= this.batchSize) {
      for (const event of appended) this.handed.set(BigInt(event.position), event);
    }
    this.woken = true;
    // New appends do not cut a back-off short; stopping does (see `stop`).
    if (!this.backingOff) this.wakeUp?.();
  }

  /** Resolves once everything up to `position` has been published. */
  waitFor(position: string, timeoutMs = 10_000): Promise<void> {
    const target = BigInt(position);
    if (this.last >= target) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const waiter = {
        position: target,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new Error(`position ${position} not published within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.add(waiter);
      this.wake();
    });
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (!this.stopped) {
      let idle = true;
      try {
        if (!this.client) {
          if (!(await this.tryLead())) {
            await this.sleep(this.leaderRetryMs);
            continue;
          }
        }
        idle = !(await this.tick());
        failures = 0;
      } catch (error) {
        failures++;
        // Back off while the bus or the database is away: 200 ms doubling up to 5 s, one line each.
        const delay = Math.min(5_000, 200 * 2 ** Math.min(failures - 1, 5));
        this.options.logger?.warn({ err: error, retryInMs: delay }, 'event publisher: will retry');
        if (this.client && isConnectionError(error)) await this.releaseLeadership(true);
        this.backingOff = true;
        await this.sleep(delay);
        this.backingOff = false;
        continue;
      }
      if (idle) await this.sleep(this.hole ? 2 : this.pollIntervalMs);
    }
  }

  private async tryLead(): Promise<boolean> {
    const client = await this.store.pool.connect();
    // A held connection that the server drops must cost the lead, not crash the process.
    const onError = (this.onClientError = (error: Error) => {
      this.options.logger?.warn({ err: error }, 'event publisher: lost its connection');
      if (this.client === client) {
        this.client = undefined;
        client.release(true);
      }
    });
    client.on('error', onError);
    try {
      const { rows } = await client.query<{ locked: boolean }>(
        'SELECT pg_try_advisory_lock($1) AS locked',
        [this.lockKey],
      );
      if (!rows[0]!.locked) {
        client.off('error', onError);
        client.release();
        return false;
      }
      for (const statement of eventStoreSetAsideSql(this.store.tables.schema)) {
        await client.query(statement);
      }
      // The leader's checkpoint commits do not wait for the disk: a crash that loses the last
      // ones republishes a few events, which the stream's dedupe and consumers' checkpoints absorb.
      await client.query('SET synchronous_commit = off');
      const saved = await client.query<{ position: string }>(
        `SELECT position FROM ${this.store.tables.checkpoints} WHERE name = $1`,
        [this.options.name],
      );
      this.last = BigInt(saved.rows[0]?.position ?? '0');
      this.saved = this.last;
      this.hole = undefined;
      this.client = client;
      this.options.logger?.info({ from: this.position }, 'event publisher: leading');
      return true;
    } catch (error) {
      client.off('error', onError);
      client.release(true);
      throw error;
    }
  }

  private async releaseLeadership(broken = false): Promise<void> {
    const client = this.client;
    this.client = undefined;
    this.handed.clear();
    if (!client) return;
    if (this.onClientError) client.off('error', this.onClientError);
    if (broken) {
      client.release(true);
      return;
    }
    await client.query('SELECT pg_advisory_unlock($1)', [this.lockKey]).catch(() => undefined);
    await client.query('RESET synchronous_commit').catch(() => undefined);
    client.release();
  }

  /** One read-publish-checkpoint round; true when more may be waiting behind what it published. */
  private async tick(): Promise<boolean> {
    const client = this.client!;
    let settledBelow = 0n;
    if (this.hole && (await this.ended(client, this.hole.inProgress))) {
      settledBelow = this.hole.below;
      this.hole = undefined;
    }

    // A read prefetched while the last batch was being acknowledged is as good as a fresh one,
    // except while a gap is being settled: then the read must come after the check above.
    const prefetched = this.prefetched;
    this.prefetched = undefined;
    // So are events this process committed right after the last one published (see `wake`).
    const settled = !this.hole && settledBelow === 0n;
    const handed = settled && !prefetched ? this.handedOver() : [];
    const events =
      prefetched && prefetched.after === this.last && settled
        ? prefetched.events
        : handed.length > 0
          ? handed
          : await this.store.readAll(this.last.toString(), this.batchSize, client);

    this.noteBacklog(events, 0);
    const ready: StoredEvent[] = [];
    let next = this.last + 1n;
    for (const event of events) {
      const position = BigInt(event.position);
      if (position !== next && position > settledBelow) {
        this.hole ??= {
          below: BigInt(events.at(-1)!.position),
          inProgress: await this.writersNow(client),
        };
        break;
      }
      ready.push(event);
      next = position + 1n;
    }
    if (ready.length === 0) {
      // Idle: the checkpoint catches up with what was published, within the interval too (an
      // idle tick comes every poll): a commit of its own per event would cost more than the
      // handful of events a restart republishes, which the stream's dedupe absorbs.
      if (this.saved < this.last && performance.now() - this.savedAt >= this.checkpointEveryMs)
        await this.saveCheckpoint(client);
      return false;
    }

    const upTo = BigInt(ready.at(-1)!.position);
    // Under a backlog (more than one event read), read what follows while JetStream acknowledges
    // this batch. One event read means the writers are not ahead: the read would find nothing.
    const prefetch =
      this.hole || events.length < 2 || handed.length > 0
        ? Promise.resolve(undefined)
        : this.store.readAll(upTo.toString(), this.batchSize, client).catch(() => undefined);
    let setAside: void | SetAsideEvent[];
    try {
      setAside = await this.publish(ready);
    } finally {
      const following = await prefetch;
      if (following) this.prefetched = { after: upTo, events: following };
    }
    if (setAside && setAside.length > 0) await this.recordSetAside(client, setAside);
    if (this.crashAfterPublish) throw new SimulatedCrash();
    this.last = upTo;
    publisherPublished.inc({ publisher: this.options.name }, ready.length);
    this.noteBacklog(events, ready.length);
    // Saving is a committed write; under load once per interval is enough, since a restart
    // that republishes a few events is absorbed by the stream's dedupe and consumers' checkpoints.
    if (performance.now() - this.savedAt >= this.checkpointEveryMs)
      await this.saveCheckpoint(client);
    for (const waiter of this.waiters) {
      if (waiter.position <= this.last) {
        this.waiters.delete(waiter);
        waiter.resolve();
      }
    }
    // A short read with nothing prefetched behind it means the writers are not ahead: rest until
    // the next append wakes it (or the poll), instead of reading once more to find nothing.
    return events.length >= this.batchSize || (this.prefetched?.events.length ?? 0) > 0;
  }

  /**
   * The alert for events stepped past: one error line each, and a row that the admin command
   * `events:set-aside` lists. Recorded before the checkpoint moves past them.
   */
  private async recordSetAside(client: pg.PoolClient, setAside: SetAsideEvent[]): Promise<void> {
    for (const { event, bytes, reason } of setAside) {
      (this.options.logger?.error ?? this.options.logger?.warn)?.call(
        this.options.logger,
        {
          publisher: this.options.name,
          position: event.position,
          eventId: event.id,
          type: event.type,
          streamId: event.streamId,
          workspaceId: event.metadata.workspaceId,
          bytes,
          reason,
        },
        'event publisher: event set aside, not published (npm run admin -- events:set-aside)',
      );
      await client.query(
        `INSERT INTO ${this.store.tables.setAside}
           (publisher, position, event_id, stream_id, type, workspace_id, bytes, reason)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING`,
        [
          this.options.name,
          event.position,
          event.id,
          event.streamId,
          event.type,
          event.metadata.workspaceId,
          bytes,
          reason,
        ],
      );
    }
  }

  /**
   * The events handed over that follow the last published one without a gap: committed, and
   * nothing before them is unpublished, so they are what a read would answer first. A gap (an
   * append of another transaction or process in between) leaves them to the read, which handles
   * gaps. What is published already is dropped.
   */
  private handedOver(): StoredEvent[] {
    const run: StoredEvent[] = [];
    for (const position of this.handed.keys()) {
      if (position <= this.last) this.handed.delete(position);
    }
    for (let next = this.last + 1n; this.handed.has(next); next++) {
      run.push(this.handed.get(next)!);
      this.handed.delete(next);
    }
    return run;
  }

  /**
   * What is read and not yet published, after `published` of `read` went out. A full batch
   * means there may be more behind it: its figures stand until the next read says otherwise.
   */
  private noteBacklog(read: readonly StoredEvent[], published: number): void {
    const waiting = read.slice(published);
    if (waiting.length === 0 && read.length < this.batchSize) {
      this.pendingPositions = 0;
      this.oldestPendingAt = undefined;
      return;
    }
    if (waiting.length === 0) return;
    this.pendingPositions = Number(BigInt(read.at(-1)!.position) - this.last);
    this.oldestPendingAt = Date.parse(waiting[0]!.recordedAt);
  }

  private async saveCheckpoint(client: pg.PoolClient): Promise<void> {
    const position = this.last;
    await client.query(
      `INSERT INTO ${this.store.tables.checkpoints} (name, position) VALUES ($1, $2)
       ON CONFLICT (name) DO UPDATE SET position = EXCLUDED.position, updated_at = now()`,
      [this.options.name, position.toString()],
    );
    this.saved = position;
    this.savedAt = performance.now();
  }

  /** Transaction ids of the transactions writing to the events table at this moment. */
  private async writersNow(client: pg.PoolClient): Promise<string[]> {
    const { rows } = await client.query<{ xid: string }>(
      `SELECT DISTINCT x.transactionid::text AS xid
       FROM pg_locks r
       JOIN pg_locks x ON x.pid = r.pid AND x.locktype = 'transactionid'
         AND x.mode = 'ExclusiveLock' AND x.granted
       WHERE r.locktype = 'relation' AND r.mode = 'RowExclusiveLock'
         AND r.database = (SELECT oid FROM pg_database WHERE datname = current_database())
         AND r.relation = $1::regclass`,
      [this.store.tables.events],
    );
    return rows.map((r) => r.xid);
  }

  private async ended(client: pg.PoolClient, xids: string[]): Promise<boolean> {
    if (xids.length === 0) return true;
    const { rows } = await client.query<{ running: number }>(
      `SELECT count(*)::int AS running FROM pg_locks
       WHERE locktype = 'transactionid' AND mode = 'ExclusiveLock' AND granted
         AND transactionid::text = ANY($1)`,
      [xids],
    );
    return rows[0]!.running === 0;
  }

  private sleep(ms: number): Promise<void> {
    if (this.woken || this.stopped) {
      this.woken = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wakeUp = () => {
        this.wakeUp = undefined;
        this.woken = false;
        done();
      };
    });
  }
}

/** The crash `crashAfterPublish` simulates: published, checkpoint not saved. */
export class SimulatedCrash extends Error {
  constructor() {
    super('simulated crash between publish and checkpoint');
    this.name = 'SimulatedCrash';
  }
}

function isConnectionError(error: unknown): boolean {
  const message = error instanceof Error ? error.message : String(error);
  return /terminat|connection|ECONNRESET|Client has encountered/i.test(message);
}

function hashToInt(text: string): number {
  let hash = 0;
  for (const char of text) hash = (Math.imul(hash, 31) + char.charCodeAt(0)) | 0;
  return hash;
}
