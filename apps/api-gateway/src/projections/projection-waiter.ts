import type { DataSource } from 'typeorm';

interface Waiter {
  target: bigint;
  resolve: (reached: boolean) => void;
}

/**
 * Read-your-writes: a command's reply names the log position of its last event; the handler
 * waits (bounded) until the projection has applied it, so the client's next read shows its write.
 * The projector on this replica wakes waiters at once; when another replica leads the projection,
 * the checkpoint in Postgres is polled instead.
 */
export class ProjectionWaiter {
  private known = 0n;
  private readonly waiters = new Set<Waiter>();

  constructor(
    private readonly dataSource: DataSource,
    private readonly projection: string,
    private readonly pollMs = 25,
  ) {}

  /** Called by the local projector after each commit. */
  applied(position: bigint): void {
    if (position <= this.known) return;
    this.known = position;
    for (const waiter of this.waiters) {
      if (waiter.target <= position) {
        this.waiters.delete(waiter);
        waiter.resolve(true);
      }
    }
  }

  /** True once the projection reached `position`; false if `timeoutMs` passed first. */
  async waitFor(position: string | undefined, timeoutMs: number): Promise<boolean> {
    if (position === undefined) return true;
    const target = BigInt(position);
    if (target <= this.known) return true;
    return new Promise<boolean>((resolve) => {
      const waiter: Waiter = { target, resolve: (reached) => finish(reached) };
      const deadline = setTimeout(() => finish(false), timeoutMs);
      const poll = setInterval(() => void this.poll(), this.pollMs);
      const finish = (reached: boolean) => {
        clearTimeout(deadline);
        clearInterval(poll);
        this.waiters.delete(waiter);
        resolve(reached);
      };
      this.waiters.add(waiter);
    });
  }

  private polling = false;

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
