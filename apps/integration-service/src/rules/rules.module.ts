import { Module } from '@nestjs/common';
import { RuleHandlers } from './rule.handlers.js';

@Module({ controllers: [RuleHandlers] })
export class RuleCommandsModule {}
