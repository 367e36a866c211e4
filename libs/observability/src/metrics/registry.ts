import { collectDefaultMetrics, register, type Registry } from 'prom-client';

/**
 * One registry per process: each service is its own process, so what a service's `/metrics`
 * shows is what its code registered. Families are created where this folder defines them, once,
 * at import; importing a family's file is what makes a service show it.
 */
export const metricsRegistry: Registry = register;

let defaultsOn = false;

/** Node's process metrics (CPU, memory, event loop lag, GC, handles), once per process. */
export function collectProcessMetrics(): void {
  if (defaultsOn) return;
  defaultsOn = true;
  collectDefaultMetrics({ register: metricsRegistry });
  // Gauges named like counters, which `promtool check metrics` rejects; the same figures stay as
  // nodejs_active_handles, nodejs_active_requests and nodejs_active_resources (by type).
  for (const name of [
    'nodejs_active_handles_total',
    'nodejs_active_requests_total',
    'nodejs_active_resources_total',
  ])
    metricsRegistry.removeSingleMetric(name);
}

/** The exposition body and its content type, for a `/metrics` route. */
export async function renderMetrics(): Promise<{ body: string; contentType: string }> {
  return { body: await metricsRegistry.metrics(), contentType: metricsRegistry.contentType };
}

/** Gets an existing family by name or makes it: the same file may be loaded twice under Jest. */
export function family<T>(name: string, make: () => T): T {
  return (metricsRegistry.getSingleMetric(name) as T | undefined) ?? make();
}

/**
 * `promise`, or a rejection saying `what` after `ms`: a scrape reads other systems (JetStream,
 * Postgres, health checks) and must answer even when one of them does not.
 */
export function bounded<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return Promise.race([
    promise,
    new Promise<T>((_, reject) => setTimeout(() => reject(new Error(what)), ms).unref()),
  ]);
}
