import {
  Global,
  Inject,
  Module,
  type DynamicModule,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { WRITE_SIDE, type WriteSide } from './write-side.js';

/** Shares the write side and runs its publisher for as long as the service runs. */
@Global()
@Module({})
export class WriteSideModule implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(@Inject(WRITE_SIDE) private readonly writeSide: WriteSide) {}

  static forRoot(writeSide: WriteSide): DynamicModule {
    return {
      module: WriteSideModule,
      providers: [{ provide: WRITE_SIDE, useValue: writeSide }],
      exports: [WRITE_SIDE],
    };
  }

  onApplicationBootstrap(): void {
    this.writeSide.publisher.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.writeSide.publisher.stop();
  }
}
