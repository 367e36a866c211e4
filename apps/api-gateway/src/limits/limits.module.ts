import { Global, Module } from '@nestjs/common';
import { RateLimits } from './rate-limits.js';
import { StreamSlots } from './stream-slots.js';

/** Rate limits and caps on long-lived answers; global so the auth guard and any route use them. */
@Global()
@Module({
  providers: [RateLimits, StreamSlots],
  exports: [RateLimits, StreamSlots],
})
export class LimitsModule {}
