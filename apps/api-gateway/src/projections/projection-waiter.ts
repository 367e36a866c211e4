import type { DataSource } from 'typeorm';

interface Waiter {
  target: bigint;
  finish: (reached: boolean) => void;
}

/**
 * Read-your-writes: a command's reply names the log position of its last event; the handler
 * waits (bounded) until the projection has applied it, so the client's next read shows its write.
 * The projector on this replica, or the leader's broadcast, wakes waiters at once; while any
 * waiter is pending, one shared timer also reads the checkpoint from Postgres every `pollMs`, in
 * case a broadcast was lost.
 */
export class ProjectionWaiter {
  private known = 0n;
  private readonly waiters = new Set<Waiter>();
  private timer: NodeJS.Timeout | undefined;
  private polling = false;

  constructor(
    private readonly dataSource: DataSource,
    private readonly projection: string,
    private readonly pollMs = 200,
  ) {}

  /** The highest position this replica knows the projection has applied. */
  get position(): bigint {
    return this.known;
  }

  /** Called after each commit of the projection (here or on the leading replica). */
  applied(position: bigint): void {
    if (position <= this.known) return;
    this.known = position;
    for (const waiter of this.waiters) {
      if (waiter.target <= position) waiter.finish(true);
    }
  }

  /** True once the projection reached `position`; false if `timeoutMs` passed first. */
  async waitFor(position: string | undefined, timeoutMs: number): Promise<boolean> {
    if (position === undefined) return true;
    const target = BigInt(position);
    if (target <= this.known) return true;
    return new Promise<boolean>((resolve) => {
      const deadline = setTimeout(() => waiter.finish(false), timeoutMs);
      const waiter: Waiter = {
        target,
        finish: (reached) => {
          clearTimeout(deadline);
          this.waiters.delete(waiter);
          if (this.waiters.size === 0) this.stopPolling();
          resolve(reached);
        },
      };
      this.waiters.add(waiter);
      this.timer ??= setInterval(() => void this.poll(), this.pollMs);
    });
  }

  private stopPolling(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private async poll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      const rows = await this.dataSource.query(
        `SELECT position FROM gateway.projection_checkpoints WHERE projection = $1`,
        [this.projection],
      );
      if (rows[0]) this.applied(BigInt(rows[0].position));
    } catch {
      // The deadline answers for us.
    } finally {
      this.polling = false;
    }
  }
}
