import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module.js';
import { BusModule } from '../bus/bus.module.js';
import { ProjectionsModule } from '../projections/projections.module.js';
import { RuleReadModel } from './rule-read-model.js';
import { RulesController } from './rules.controller.js';

@Module({
  imports: [AuthModule, BusModule, ProjectionsModule],
  controllers: [RulesController],
  providers: [RuleReadModel],
})
export class GatewayRulesModule {}
