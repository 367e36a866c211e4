import { Inject, Module, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import { Streams } from '#libs/contracts/src/index.js';
import type { Bus } from '#libs/messaging/src/index.js';
import { BUS, DATA_SOURCE, LOGGER } from '#libs/service-kit/src/index.js';
import { GatewayIntegrationsModule } from '../integrations/integrations.module.js';
import { ProjectionRunner } from '../projections/projection-runner.js';
import { ScanReadModel } from './scan-read-model.js';
import { applyScannerEvent, SCANNER_EVENTS_PROJECTION } from './scanner-events.projection.js';
import { ScansController } from './scans.controller.js';

/**
 * The GitHub scan endpoints of seeds/000 and the read models behind them, projected from
 * SCANNER_EVENTS (one replica projects at a time; see ProjectionRunner).
 */
@Module({
  imports: [GatewayIntegrationsModule],
  controllers: [ScansController],
  providers: [
    {
      provide: ScanReadModel,
      inject: [DATA_SOURCE],
      useFactory: (dataSource: DataSource) => new ScanReadModel(dataSource),
    },
  ],
})
export class GatewayScansModule implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly runner: ProjectionRunner;

  constructor(
    @Inject(DATA_SOURCE) dataSource: DataSource,
    @Inject(BUS) bus: Bus,
    @Inject(LOGGER) logger: Logger,
  ) {
    this.runner = new ProjectionRunner(
      {
        name: SCANNER_EVENTS_PROJECTION,
        stream: Streams.scannerEvents.name,
        apply: applyScannerEvent,
      },
      dataSource,
      bus,
      logger,
      () => undefined,
    );
  }

  onApplicationBootstrap(): void {
    this.runner.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.runner.stop();
  }
}
