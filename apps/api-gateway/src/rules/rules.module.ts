import { Module } from '@nestjs/common';
import { RuleReadModel } from './rule-read-model.js';
import { RulesController } from './rules.controller.js';

@Module({ controllers: [RulesController], providers: [RuleReadModel] })
export class GatewayRulesModule {}
