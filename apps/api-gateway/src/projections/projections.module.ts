import {
  Global,
  Inject,
  Module,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import { Streams } from '#libs/contracts/src/index.js';
import type { Bus } from '#libs/messaging/src/index.js';
import { BUS, DATA_SOURCE, LOGGER } from '#libs/service-kit/src/index.js';
import {
  applyIntegrationEvent,
  INTEGRATION_EVENTS_PROJECTION,
} from './integration-events.projection.js';
import { ProjectionRunner } from './projection-runner.js';
import { ProjectionWaiter } from './projection-waiter.js';

/** Injection token of the waiter for the integrations and rules read models. */
export const INTEGRATION_READ_MODEL = Symbol('INTEGRATION_READ_MODEL');

@Global()
@Module({
  providers: [
    {
      provide: INTEGRATION_READ_MODEL,
      inject: [DATA_SOURCE],
      useFactory: (dataSource: DataSource) =>
        new ProjectionWaiter(dataSource, INTEGRATION_EVENTS_PROJECTION),
    },
  ],
  exports: [INTEGRATION_READ_MODEL],
})
export class ProjectionsModule implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly runner: ProjectionRunner;

  constructor(
    @Inject(DATA_SOURCE) dataSource: DataSource,
    @Inject(BUS) bus: Bus,
    @Inject(LOGGER) logger: Logger,
    @Inject(INTEGRATION_READ_MODEL) waiter: ProjectionWaiter,
  ) {
    this.runner = new ProjectionRunner(
      {
        name: INTEGRATION_EVENTS_PROJECTION,
        stream: Streams.integrationEvents.name,
        apply: applyIntegrationEvent,
      },
      dataSource,
      bus,
      logger,
      (position) => waiter.applied(position),
    );
  }

  onApplicationBootstrap(): void {
    this.runner.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.runner.stop();
  }
}
