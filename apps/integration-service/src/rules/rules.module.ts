import { Module } from '@nestjs/common';
import { WriteSideModule } from '../write-side/write-side.module.js';
import { RuleHandlers } from './rule.handlers.js';

@Module({ imports: [WriteSideModule], controllers: [RuleHandlers] })
export class RuleCommandsModule {}
