import { Inject, Module } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { Projections } from '#libs/projections/src/index.js';
import { DATA_SOURCE } from '#libs/service-kit/src/index.js';
import { AuthModule } from '../auth/auth.module.js';
import { BusModule } from '../bus/bus.module.js';
import { GatewayIntegrationsModule } from '../integrations/integrations.module.js';
import { LimitsModule } from '../limits/limits.module.js';
import { ScanProgressFeed } from './scan-progress-feed.js';
import { ScanReadModel } from './scan-read-model.js';
import { scannerEventsProjection } from './scanner-events.projection.js';
import { ScansController } from './scans.controller.js';

/**
 * The GitHub scan endpoints of the TinyOps Integrations API and the read models behind them, projected from
 * SCANNER_EVENTS by the service's one projection runner (`libs/projections`).
 */
@Module({
  imports: [AuthModule, BusModule, LimitsModule, GatewayIntegrationsModule],
  controllers: [ScansController],
  providers: [
    {
      provide: ScanReadModel,
      inject: [DATA_SOURCE],
      useFactory: (dataSource: DataSource) => new ScanReadModel(dataSource),
    },
    ScanProgressFeed,
  ],
})
export class GatewayScansModule {
  constructor(@Inject(Projections) projections: Projections) {
    projections.run(scannerEventsProjection);
  }
}
