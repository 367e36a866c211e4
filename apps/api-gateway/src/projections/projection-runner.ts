import { AckPolicy, DeliverPolicy, type ConsumerMessages } from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import type { DataSource, EntityManager, QueryRunner } from 'typeorm';
import type { Envelope } from '#libs/contracts/src/index.js';
import type { Bus } from '#libs/messaging/src/index.js';

export interface ProjectionSpec {
  /** Checkpoint name, also the durable consumer's name. */
  name: string;
  stream: string;
  /** Applies one event inside the transaction that also moves the checkpoint. */
  apply: (tx: EntityManager, event: Envelope<string, unknown>) => Promise<void>;
}

interface Checkpoint {
  position: bigint;
  streamSeq: number;
}

/**
 * Runs one projection from a JetStream stream into Postgres, in stream order, exactly once in
 * effect:
 * - each event is applied in a transaction that also records the checkpoint (log position and
 *   stream sequence), so a crash never applies half an event or forgets that it applied one;
 * - an event at or below the checkpoint is acknowledged and skipped (redelivery, or a republish
 *   outside the dedup window: same log position, new stream sequence);
 * - one replica at a time projects (a Postgres advisory lock), and whoever takes over recreates
 *   the durable consumer at the checkpoint's next sequence, so order survives crashes, leader
 *   changes and downtime (it catches up from where it stopped).
 * `onApplied(position)` tells read-your-writes waiters on this replica at once.
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
    private readonly onApplied: (position: bigint) => void,
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
    this.onApplied(this.applied.position);
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
      await this.messages.close().catch(() => undefined);
      this.messages = undefined;
    }
  }

  private async drain(messages: ConsumerMessages): Promise<void> {
    const { name } = this.spec;
    for await (const msg of messages) {
      if (this.stopped) break;
      let event: Envelope<string, unknown>;
      try {
        event = msg.json<Envelope<string, unknown>>();
      } catch {
        this.logger.error(
          { projection: name, seq: msg.seq },
          'skipping a message that is not JSON',
        );
        await this.record({ position: this.applied.position, streamSeq: msg.seq });
        msg.ack();
        continue;
      }
      // Throws on a database failure: the loop restarts from the checkpoint, order intact.
      await this.applyOne(event, msg.seq);
      msg.ack();
    }
  }

  private async applyOne(event: Envelope<string, unknown>, streamSeq: number): Promise<void> {
    const position = event.position === undefined ? undefined : BigInt(event.position);
    const seen = position !== undefined && position <= this.applied.position;
    const next: Checkpoint = {
      position:
        position !== undefined && position > this.applied.position
          ? position
          : this.applied.position,
      streamSeq,
    };
    await this.dataSource.transaction(async (tx) => {
      if (!seen) await this.spec.apply(tx, event);
      await this.record(next, tx);
    });
    this.applied = next;
    this.onApplied(next.position);
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

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
