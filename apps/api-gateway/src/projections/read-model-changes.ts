import type { ProjectionWaiter } from './projection-waiter.js';

export interface ReadModelChange {
  /** Checkpoint of the projection after the change. */
  position: bigint;
  /** Workspaces whose rows changed (empty: only the checkpoint moved). */
  workspaceIds: string[];
}

/**
 * Where a replica hears that the integrations/rules read models changed, whether its own
 * projector applied the change or the leading replica broadcast it. Caches drop what changed
 * first; read-your-writes waiters are woken after, so a command's answer is never followed by a
 * stale cached read on the replica that served it.
 */
export class ReadModelChanges {
  private readonly listeners: ((change: ReadModelChange) => void)[] = [];

  constructor(private readonly waiter: ProjectionWaiter) {}

  onChange(listener: (change: ReadModelChange) => void): void {
    this.listeners.push(listener);
  }

  emit(change: ReadModelChange): void {
    for (const listener of this.listeners) listener(change);
    this.waiter.applied(change.position);
  }
}
