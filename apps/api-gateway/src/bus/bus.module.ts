import { Global, Module } from '@nestjs/common';
import { CommandBus } from './command-bus.js';

@Global()
@Module({ providers: [CommandBus], exports: [CommandBus] })
export class BusModule {}
