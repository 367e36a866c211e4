import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { DataSource, EntityManager } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver.js';
import type { WorkspaceEventDataMap, WorkspaceEventType } from '#libs/contracts/src/index.js';
import { EventStore, type StoredEvent } from '#libs/event-store/src/index.js';

/** Who makes a change to members or keys, and the request it belongs to. */
export interface ChangeContext {
  /** A member id, or `admin-cli` for the admin command line. */
  actor: string;
  actorKeyId: string | null;
  correlationId: string;
}

/** The admin command line (and test set-ups made the way it does). */
export const adminCli = (): ChangeContext => ({
  actor: 'admin-cli',
  actorKeyId: null,
  correlationId: randomUUID(),
});

/**
 * The gateway's own event log (libs/event-store in schema `gateway`): every change to a workspace,
 * its members and their keys is appended in the transaction that makes the change, so the change
 * and its event commit together or not at all. A publisher tails the log onto JetStream
 * (`WORKSPACE_EVENTS`), the same way the integration service publishes its log.
 */
export class WorkspaceEventLog {
  readonly store: EventStore;
  private readonly listeners: (() => void)[] = [];

  constructor(dataSource: DataSource) {
    // The event store talks to pg directly, and its publisher holds a leader session from a pool:
    // it shares the pool of the gateway's TypeORM data source (PostgresDriver's public `master`)
    // rather than opening a second pool beside it.
    this.store = new EventStore((dataSource.driver as PostgresDriver).master as pg.Pool, 'gateway');
  }

  /** Appends one event inside `tx` (a TypeORM transaction), on that transaction's connection. */
  async append<K extends WorkspaceEventType>(
    tx: EntityManager,
    by: ChangeContext,
    event: {
      workspaceId: string;
      streamId: string;
      expectedVersion: number;
      type: K;
      data: WorkspaceEventDataMap[K];
      occurredAt: string;
      causationId?: string;
    },
  ): Promise<StoredEvent> {
    const client = (await tx.queryRunner!.connect()) as pg.PoolClient;
    const [stored] = await this.store.append(
      event.streamId,
      event.expectedVersion,
      [
        {
          id: randomUUID(),
          type: event.type,
          schemaVersion: 1,
          data: event.data,
          occurredAt: event.occurredAt,
          metadata: {
            workspaceId: event.workspaceId,
            correlationId: by.correlationId,
            causationId: event.causationId ?? null,
            actor: by.actor,
            actorKeyId: by.actorKeyId,
          },
        },
      ],
      client,
    );
    return stored!;
  }

  /** Called once a transaction that appended has committed: the publisher looks at once. */
  committed(): void {
    for (const listener of this.listeners) listener();
  }

  onCommitted(listener: () => void): void {
    this.listeners.push(listener);
  }
}
