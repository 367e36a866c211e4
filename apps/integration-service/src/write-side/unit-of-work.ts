import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { Envelope } from '#libs/contracts/src/index.js';
import type { EventStore, StoredEvent } from '#libs/event-store/src/index.js';

export interface EventToAppend {
  type: string;
  schemaVersion: number;
  data: unknown;
  sealed?: unknown;
  /** Defaults to the command; a rule disabled by a disconnect names the disconnect event. */
  causationId?: string;
  id?: string;
}

/**
 * One command's transaction: every append and state-table write of the command commits
 * together or not at all. Events carry the command's correlation, actor and workspace.
 */
export class UnitOfWork {
  readonly appended: StoredEvent[] = [];
  readonly now = new Date().toISOString();

  constructor(
    readonly client: pg.PoolClient,
    readonly store: EventStore,
    readonly command: Envelope,
  ) {}

  get workspaceId(): string {
    return this.command.workspaceId!;
  }

  async append(
    streamId: string,
    expectedVersion: number,
    events: readonly EventToAppend[],
  ): Promise<StoredEvent[]> {
    const stored = await this.store.append(
      streamId,
      expectedVersion,
      events.map((e) => ({
        id: e.id ?? randomUUID(),
        type: e.type,
        schemaVersion: e.schemaVersion,
        data: e.data,
        ...(e.sealed === undefined ? {} : { sealed: e.sealed }),
        occurredAt: this.now,
        metadata: {
          workspaceId: this.command.workspaceId,
          correlationId: this.command.correlationId,
          causationId: e.causationId ?? this.command.id,
          actor: this.command.actor ?? null,
          actorKeyId: this.command.actorKeyId ?? null,
        },
      })),
      this.client,
    );
    this.appended.push(...stored);
    return stored;
  }

  /** Position of the last event this command appended: what the gateway waits for. */
  get lastPosition(): string | undefined {
    return this.appended.at(-1)?.position;
  }
}
