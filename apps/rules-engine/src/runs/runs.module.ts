import { Module } from '@nestjs/common';
import { RunsHandlers } from './runs.handlers.js';

@Module({ controllers: [RunsHandlers] })
export class RunsModule {}
