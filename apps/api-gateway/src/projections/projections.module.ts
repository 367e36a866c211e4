import { Inject, Module, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { Subscription } from '@nats-io/transport-node';
import type { DataSource } from 'typeorm';
import { GatewaySubjects, type ReadModelsChanged } from '#libs/contracts/src/index.js';
import type { Bus } from '#libs/messaging/src/index.js';
import { Projections } from '#libs/projections/src/index.js';
import { BUS, DATA_SOURCE } from '#libs/service-kit/src/index.js';
import {
  integrationEventsProjection,
  INTEGRATION_EVENTS_PROJECTION,
} from './integration-events.projection.js';
import { ProjectionWaiter } from './projection-waiter.js';
import { ReadModelChanges } from './read-model-changes.js';

/** Injection token of the waiter for the integrations and rules read models. */
export const INTEGRATION_READ_MODEL = Symbol('INTEGRATION_READ_MODEL');

/** How long a commit's notice may hold up local waiters when the bus is slow or away. */
const FLUSH_BOUND_MS = 100;

/**
 * The integrations and rules read model's projection, led by one replica, and the waiter that
 * commands answered through it (read-your-writes) and the list caches use.
 */
@Module({
  providers: [
    {
      provide: INTEGRATION_READ_MODEL,
      inject: [DATA_SOURCE],
      useFactory: (dataSource: DataSource) =>
        new ProjectionWaiter(dataSource, INTEGRATION_EVENTS_PROJECTION),
    },
    {
      provide: ReadModelChanges,
      inject: [INTEGRATION_READ_MODEL],
      useFactory: (waiter: ProjectionWaiter) => new ReadModelChanges(waiter),
    },
  ],
  exports: [INTEGRATION_READ_MODEL, ReadModelChanges],
})
export class ProjectionsModule implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly replicaId = randomUUID();
  private subscription: Subscription | undefined;

  constructor(
    @Inject(BUS) private readonly bus: Bus,
    @Inject(Projections) projections: Projections,
    @Inject(ReadModelChanges) private readonly changes: ReadModelChanges,
  ) {
    projections.run(integrationEventsProjection(), {
      onApplied: async ({ checkpoint, events }) => {
        const workspaceIds = [
          ...new Set(events.flatMap((e) => (e.workspaceId ? [e.workspaceId] : []))),
        ];
        // Tell the other replicas first, and wait until the NATS server has taken the notice
        // (it forwards it before answering the flush): their caches drop stale lists before
        // this replica answers the command that caused the change.
        await this.broadcast(checkpoint.position, workspaceIds);
        changes.emit({ position: checkpoint.position, workspaceIds });
      },
    });
  }

  onApplicationBootstrap(): void {
    this.subscription = this.bus.nc.subscribe(GatewaySubjects.readModelsChanged, {
      callback: (error, msg) => {
        if (error) return;
        try {
          const change = msg.json<ReadModelsChanged>();
          if (change.replica === this.replicaId) return;
          this.changes.emit({
            position: BigInt(change.position),
            workspaceIds: change.workspaceIds,
          });
        } catch {
          // A malformed notice: caches expire and waiters poll, so nothing is lost.
        }
      },
    });
  }

  onModuleDestroy(): void {
    this.subscription?.unsubscribe();
  }

  private async broadcast(position: bigint, workspaceIds: string[]): Promise<void> {
    try {
      this.bus.nc.publish(
        GatewaySubjects.readModelsChanged,
        JSON.stringify({
          replica: this.replicaId,
          position: position.toString(),
          workspaceIds,
        } satisfies ReadModelsChanged),
      );
      await Promise.race([
        this.bus.nc.flush(),
        new Promise((resolve) => setTimeout(resolve, FLUSH_BOUND_MS).unref()),
      ]);
    } catch {
      // Bus away: other replicas fall back to their cache TTL and checkpoint polling.
    }
  }
}
