import { Module } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { DATA_SOURCE } from '#libs/service-kit/src/index.js';
import { AuthModule } from '../auth/auth.module.js';
import { ProjectionsModule } from '../projections/projections.module.js';
import { AuditLogReader } from './audit-log.reader.js';
import { AuditRetention } from './audit-retention.js';
import { AuditController } from './audit.controller.js';
import { AuditProjection } from './audit.projection.js';

/** The audit trail: its projection, its retention, and the routes that read it. */
@Module({
  imports: [AuthModule, ProjectionsModule],
  controllers: [AuditController],
  providers: [
    AuditProjection,
    AuditRetention,
    {
      provide: AuditLogReader,
      inject: [DATA_SOURCE],
      useFactory: (dataSource: DataSource) => new AuditLogReader(dataSource),
    },
  ],
  exports: [AuditLogReader, AuditProjection],
})
export class AuditModule {}
