import { AckPolicy, DeliverPolicy, type ConsumerMessages, type JsMsg } from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import type { DataSource, EntityManager, QueryRunner } from 'typeorm';
import type { Envelope } from '#libs/contracts/src/index.js';
import { withLinksTo, type Bus } from '#libs/messaging/src/index.js';
import { projectionBatchApplied } from '#libs/observability/src/metrics/projections.js';

export interface ProjectionSpec {
  /** Checkpoint name, also the durable consumer's name. */
  name: string;
  stream: string;
  /** Applies one event inside the transaction that also moves the checkpoint. */
  apply?: (tx: EntityManager, event: Envelope<string, unknown>) => Promise<void>;
  /** Or: applies a batch of events, in order, in that transaction (fewer round trips). */
  applyBatch?: (tx: EntityManager, events: Envelope<string, unknown>[]) => Promise<void>;
  /**
   * Or: writes the batch's rows and the checkpoint itself, atomically (e.g. one statement),
   * for the fewest round trips on the hot path.
   */
  writeBatch?: (
    db: DataSource,
    events: Envelope<string, unknown>[],
    checkpoint: { projection: string; position: string; streamSeq: number },
  ) => Promise<void>;
}

interface Checkpoint {
  position: bigint;
  streamSeq: number;
}

/**
 * Runs one projection from a JetStream stream into Postgres, in stream order, exactly once in
 * effect:
 * - events arrive in batches (whatever is waiting, up to BATCH); a batch's rows and the
 *   checkpoint (log position and stream sequence) are written atomically, so a crash never
 *   applies half a batch or forgets that it applied one;
 * - an event at or below the checkpoint is acknowledged and skipped (redelivery, or a republish
 *   outside the dedup window: same log position, new stream sequence);
 * - one replica at a time projects (a Postgres advisory lock), and whoever takes over recreates
 *   the durable consumer at the checkpoint's next sequence, so order survives crashes, leader
 *   changes and downtime (it catches up from where it stopped).
 * `onApplied(position, workspaceIds)` tells caches and read-your-writes waiters at once.
 */
export class ProjectionRunner {
  private stopped = false;
  private messages: ConsumerMessages | undefined;
  private lockRunner: QueryRunner | undefined;
  private loop: Promise<void> | undefined;
  private applied: Checkpoint = { position: 0n, streamSeq: 0 };

  constructor(
    private readonly spec: ProjectionSpec,
    private readonly dataSource: DataSource,
    private readonly bus: Bus,
    private readonly logger: Logger,
    /** After each commit: the checkpoint's position and the workspaces whose rows changed. */
    private readonly onApplied: (position: bigint, workspaceIds: string[]) => void | Promise<void>,
    private readonly retryMs = 1_000,
  ) {}

  get position(): bigint {
    return this.applied.position;
  }

  start(): void {
    this.loop ??= this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.messages?.close().catch(() => undefined);
    await this.loop;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      try {
        if (await this.becomeLeader()) await this.consume();
      } catch (error) {
        if (!this.stopped)
          this.logger.warn({ err: error, projection: this.spec.name }, 'projection paused');
      } finally {
        await this.releaseLeadership();
      }
      if (!this.stopped) await sleep(this.retryMs);
    }
  }

  private async becomeLeader(): Promise<boolean> {
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    const [{ locked }] = await runner.query(`SELECT pg_try_advisory_lock(hashtext($1)) AS locked`, [
      `projection:${this.spec.name}`,
    ]);
    if (!locked) {
      await runner.release();
      return false;
    }
    this.lockRunner = runner;
    return true;
  }

  private async releaseLeadership(): Promise<void> {
    const runner = this.lockRunner;
    this.lockRunner = undefined;
    if (!runner) return;
    await runner
      .query(`SELECT pg_advisory_unlock(hashtext($1))`, [`projection:${this.spec.name}`])
      .catch(() => undefined);
    await runner.release().catch(() => undefined);
  }

  private async consume(): Promise<void> {
    this.applied = await this.readCheckpoint();
    await this.onApplied(this.applied.position, []);
    const { stream, name } = this.spec;
    await this.bus.jsm.consumers.delete(stream, name).catch(() => undefined);
    await this.bus.jsm.consumers.add(stream, {
      durable_name: name,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.StartSequence,
      opt_start_seq: this.applied.streamSeq + 1,
      ack_wait: nanos(30_000),
      max_ack_pending: 1_000,
    });
    const consumer = await this.bus.js.consumers.get(stream, name);
    this.messages = await consumer.consume({ max_messages: 256 });
    this.logger.info(
      { projection: name, from: this.applied.streamSeq + 1 },
      'projecting (this replica leads)',
    );
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
        // Throws on a database failure: the loop restarts from the checkpoint, order intact.
        await this.applyBatch(batch);
        for (const msg of batch) msg.ack();
      }
    } finally {
      await messages.close().catch(() => undefined);
      await reader.catch(() => undefined);
    }
  }

  private async applyBatch(batch: JsMsg[]): Promise<void> {
    let next = this.applied;
    const fresh: Envelope<string, unknown>[] = [];
    const workspaceIds = new Set<string>();
    for (const msg of batch) {
      let event: Envelope<string, unknown>;
      try {
        event = msg.json<Envelope<string, unknown>>();
      } catch {
        this.logger.error(
          { projection: this.spec.name, seq: msg.seq },
          'skipping a non-JSON message',
        );
        next = { position: next.position, streamSeq: msg.seq };
        continue;
      }
      const position = event.position === undefined ? undefined : BigInt(event.position);
      // At or below the checkpoint: a redelivery or a republish of what is already applied.
      if (position === undefined || position > next.position) {
        fresh.push(event);
        if (event.workspaceId) workspaceIds.add(event.workspaceId);
      }
      next = {
        position: position !== undefined && position > next.position ? position : next.position,
        streamSeq: msg.seq,
      };
    }
    const checkpoint = next;
    await withLinksTo(`${this.spec.name} apply`, batch, async () => {
      if (this.spec.writeBatch) {
        await this.spec.writeBatch(this.dataSource, fresh, {
          projection: this.spec.name,
          position: checkpoint.position.toString(),
          streamSeq: checkpoint.streamSeq,
        });
      } else {
        await this.transaction(checkpoint, fresh);
      }
    });
    this.applied = checkpoint;
    projectionBatchApplied(
      this.spec.name,
      fresh.length,
      batch.at(-1)!.info.pending,
      fresh.at(-1)?.occurredAt,
    );
    await this.onApplied(checkpoint.position, [...workspaceIds]);
  }

  private async transaction(checkpoint: Checkpoint, fresh: Envelope<string, unknown>[]) {
    await this.dataSource.transaction(async (tx) => {
      if (fresh.length > 0 && this.spec.applyBatch) await this.spec.applyBatch(tx, fresh);
      else for (const event of fresh) await this.spec.apply?.(tx, event);
      await this.record(checkpoint, tx);
    });
  }

  private async readCheckpoint(): Promise<Checkpoint> {
    const rows = await this.dataSource.query(
      `SELECT position, stream_seq FROM gateway.projection_checkpoints WHERE projection = $1`,
      [this.spec.name],
    );
    return rows[0]
      ? { position: BigInt(rows[0].position), streamSeq: Number(rows[0].stream_seq) }
      : { position: 0n, streamSeq: 0 };
  }

  private async record(
    checkpoint: Checkpoint,
    tx: Pick<EntityManager, 'query'> = this.dataSource,
  ): Promise<void> {
    await tx.query(
      `INSERT INTO gateway.projection_checkpoints (projection, position, stream_seq, updated_at)
       VALUES ($1, $2, $3, now())
       ON CONFLICT (projection) DO UPDATE SET position = EXCLUDED.position,
         stream_seq = EXCLUDED.stream_seq, updated_at = now()`,
      [this.spec.name, checkpoint.position.toString(), checkpoint.streamSeq],
    );
  }
}

/** Most events one transaction applies. */
const BATCH = 200;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
