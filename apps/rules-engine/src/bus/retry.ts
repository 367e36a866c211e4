import { exponentialBackoff } from '#libs/messaging/src/index.js';

/**
 * The engine's wait before a failed message is tried again: 0.5 s, 1 s, 2 s ... up to 30 s, so
 * a rule whose provider is down for a while is not hammered, nor left waiting long once it is up.
 */
export const engineRetryDelayMs = exponentialBackoff(500, 30_000);
