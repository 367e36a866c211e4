/** Set by `register.ts` when it started the tracing SDK in this process. */
const KEY = Symbol.for('integrations-platform.tracing');

interface TracingState {
  shutdown: () => Promise<void>;
}

const slot = globalThis as Record<symbol, TracingState | undefined>;

export function markTracingEnabled(): void {
  slot[KEY] ??= { shutdown: async () => undefined };
}

export function setTracingShutdown(shutdown: () => Promise<void>): void {
  markTracingEnabled();
  slot[KEY]!.shutdown = shutdown;
}

export function tracingEnabled(): boolean {
  return slot[KEY] !== undefined;
}

/** Exports the spans still buffered; a service calls it last when it stops. */
export async function flushTracing(): Promise<void> {
  await slot[KEY]?.shutdown().catch(() => undefined);
}
