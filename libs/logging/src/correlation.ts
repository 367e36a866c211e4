import { AsyncLocalStorage } from 'node:async_hooks';

export interface CorrelationContext {
  correlationId: string;
  workspaceId?: string | null;
}

const storage = new AsyncLocalStorage<CorrelationContext>();

/** Runs `fn` with a correlation id that every log line written inside it carries. */
export function withCorrelation<T>(context: CorrelationContext, fn: () => T): T {
  return storage.run(context, fn);
}

export function currentCorrelation(): CorrelationContext | undefined {
  return storage.getStore();
}
