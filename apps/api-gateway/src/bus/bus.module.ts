import { Module } from '@nestjs/common';
import { CommandBus } from './command-bus.js';

/** Commands and queries to the services that own them, for the feature modules that send them. */
@Module({ providers: [CommandBus], exports: [CommandBus] })
export class BusModule {}
