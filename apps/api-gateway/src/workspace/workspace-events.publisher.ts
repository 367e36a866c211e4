import {
  Inject,
  Injectable,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import type { Logger } from 'pino';
import { eventSubject, WorkspaceSubjects } from '#libs/contracts/src/index.js';
import { EventPublisher, jetStreamSink } from '#libs/event-store/src/index.js';
import type { Bus } from '#libs/messaging/src/index.js';
import { BUS, LOGGER } from '#libs/service-kit/src/index.js';
import { WorkspaceStore } from '../auth/index.js';

/**
 * Publishes the gateway's own event log (workspaces, members, keys) to JetStream
 * `WORKSPACE_EVENTS`, in log order, at least once: the publisher of libs/event-store, with its
 * late-commit gap handling and one leader across replicas. Changes made here wake it at once;
 * changes made by the admin CLI are found by polling.
 */
@Injectable()
export class WorkspaceEventsPublisher implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly publisher: EventPublisher;

  constructor(
    @Inject(WorkspaceStore) store: WorkspaceStore,
    @Inject(BUS) bus: Bus,
    @Inject(LOGGER) logger: Logger,
  ) {
    this.publisher = new EventPublisher(
      store.log.store,
      jetStreamSink(bus, (event) => eventSubject(WorkspaceSubjects.events, event.type), {
        maxPayload: () => bus.nc.info?.max_payload,
      }),
      { name: 'jetstream', pollIntervalMs: 250, logger },
    );
    store.log.onCommitted(() => this.publisher.wake());
  }

  onApplicationBootstrap(): void {
    this.publisher.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.publisher.stop();
  }
}
