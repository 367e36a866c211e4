/** Set by `register.ts` when it started the tracing SDK in this process. */
const KEY = Symbol.for('integrations-platform.tracing');

export function markTracingEnabled(): void {
  (globalThis as Record<symbol, unknown>)[KEY] = true;
}

export function tracingEnabled(): boolean {
  return (globalThis as Record<symbol, unknown>)[KEY] === true;
}
