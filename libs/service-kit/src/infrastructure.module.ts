import {
  Global,
  Inject,
  Module,
  type DynamicModule,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { TerminusModule } from '@nestjs/terminus';
import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import type { Bus } from '#libs/messaging/src/index.js';
import { Projections } from '#libs/projections/src/index.js';
import { HealthController } from './health.controller.js';
import { RpcCorrelationInterceptor } from './correlation.interceptor.js';
import type { ReadinessCheck } from './readiness-check.js';
import { BUS, DATA_SOURCE, LOGGER, READINESS_CHECKS, SERVICE_CONFIG } from './tokens.js';

export interface Infrastructure<TConfig = unknown> {
  serviceName: string;
  config: TConfig;
  logger: Logger;
  dataSource: DataSource;
  bus: Bus;
  /** Every projection of the service; feature modules add theirs. */
  projections: Projections;
}

/** Hands what was connected before Nest started to every module, with health on top. */
@Global()
@Module({})
export class InfrastructureModule implements OnApplicationBootstrap, OnModuleDestroy {
  constructor(@Inject(Projections) private readonly projections: Projections) {}

  /** Projections start once every module has added its own. */
  onApplicationBootstrap(): void {
    this.projections.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.projections.stop();
  }

  static forRoot(infra: Infrastructure, checks: ReadinessCheck[]): DynamicModule {
    return {
      module: InfrastructureModule,
      imports: [TerminusModule.forRoot({ logger: false })],
      controllers: [HealthController],
      providers: [
        { provide: SERVICE_CONFIG, useValue: infra.config },
        { provide: LOGGER, useValue: infra.logger },
        { provide: DATA_SOURCE, useValue: infra.dataSource },
        { provide: BUS, useValue: infra.bus },
        { provide: Projections, useValue: infra.projections },
        { provide: READINESS_CHECKS, useValue: checks },
        { provide: APP_INTERCEPTOR, useClass: RpcCorrelationInterceptor },
      ],
      exports: [SERVICE_CONFIG, LOGGER, DATA_SOURCE, BUS, READINESS_CHECKS, Projections],
    };
  }
}
