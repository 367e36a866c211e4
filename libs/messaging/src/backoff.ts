/**
 * A durable consumer's `retryDelayMs` that doubles from `firstMs` at each delivery, capped at
 * `maxMs`: a dependency that is down for a while is not hammered, nor waited for long once it is
 * back. `attempt` (JetStream's delivery count) counts from 1.
 */
export function exponentialBackoff(firstMs: number, maxMs: number): (attempt: number) => number {
  return (attempt) => Math.min(maxMs, firstMs * 2 ** Math.max(0, attempt - 1));
}
