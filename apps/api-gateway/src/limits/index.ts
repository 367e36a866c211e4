export { limitsEnv, type LimitsConfig } from './limits.config.js';
export { LimitsModule } from './limits.module.js';
export { RateLimits } from './rate-limits.js';
export { StreamSlots } from './stream-slots.js';
export { InFlight } from './in-flight.js';
export { limitRequests } from './limit-requests.js';
