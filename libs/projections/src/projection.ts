import type { EntityManager } from 'typeorm';
import type { Envelope } from '#libs/contracts/src/index.js';

export type Db = Pick<EntityManager, 'query'>;

export type Event = Envelope<string, unknown>;

/** Where a projection stands in its stream, recorded with its rows. */
export interface Checkpoint {
  /** The highest event-log position applied (events that carry one), else 0. */
  position: bigint;
  /** The stream sequence of the last message handled (applied, skipped or parked). */
  streamSeq: number;
}

/**
 * The one shape of a read model or event consumer fed from a JetStream stream. `apply` folds a
 * batch of events, in stream order, into its rows inside the transaction that also moves the
 * checkpoint, so a crash never applies half a batch or forgets that it applied one. It must be a
 * pure function of the events and the rows it reads (replay gives the same rows).
 */
export interface Projection {
  /** Checkpoint name, also the durable consumer's name and the dead-letter subject's. */
  name: string;
  stream: string;
  /** Only these subjects of the stream (one filter: nats-server 2.9 takes no list). */
  subject?: string;
  /** Events this projection reads; others move the checkpoint without a write. */
  canHandle(event: Event): boolean;
  apply(tx: Db, events: Event[], checkpoint: CheckpointRow): Promise<void>;
  /**
   * Set when `apply` writes its rows and the checkpoint itself, atomically (one statement), for
   * the fewest round trips: it then runs outside a transaction and records `checkpoint` too.
   */
  checkpointInApply?: boolean;
}

/** The checkpoint as the table `<schema>.projection_checkpoints` stores it. */
export interface CheckpointRow {
  projection: string;
  position: string;
  streamSeq: number;
}

/** After each commit: where the projection stands and what it applied. */
export type OnApplied = (applied: {
  checkpoint: Checkpoint;
  events: Event[];
  /** Messages of the stream waiting behind this batch when it arrived (unknown at start). */
  behind?: number;
}) => unknown;
