import { Module } from '@nestjs/common';
import { RateLimits } from './rate-limits.js';
import { StreamSlots } from './stream-slots.js';

/** Rate limits and caps on long-lived answers, for the auth guard and the routes that stream. */
@Module({
  providers: [RateLimits, StreamSlots],
  exports: [RateLimits, StreamSlots],
})
export class LimitsModule {}
