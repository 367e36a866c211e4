import type { ChildProcess } from 'node:child_process';

export interface SupervisorOptions {
  name: string;
  /** Starts the process (again). */
  spawn: () => ChildProcess;
  say: (line: string) => void;
  /** First wait before a restart; it doubles with each crash in a row, up to `maxBackoffMs`. */
  baseBackoffMs?: number;
  maxBackoffMs?: number;
  /** A process that ran this long before it died starts the backoff over. */
  healthyAfterMs?: number;
}

/**
 * Keeps one service of `npm start` running: a process that exits while the stack is not stopping
 * is started again after a backoff (0.5 s, 1 s, 2 s ... 30 s; back to 0.5 s once it ran a
 * minute), with a log line each time; the rest of the stack stays up. `stop()` ends it for good.
 */
export class Supervisor {
  private child: ChildProcess | undefined;
  private stopping = false;
  private restarts = 0;
  private crashesInARow = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: SupervisorOptions) {}

  get process(): ChildProcess | undefined {
    return this.child;
  }

  start(): void {
    const startedAt = Date.now();
    const child = this.options.spawn();
    this.child = child;
    child.once('exit', (code, signal) => {
      if (this.stopping) return;
      const healthy = Date.now() - startedAt >= (this.options.healthyAfterMs ?? 60_000);
      this.crashesInARow = healthy ? 1 : this.crashesInARow + 1;
      const base = this.options.baseBackoffMs ?? 500;
      const delay = Math.min(
        this.options.maxBackoffMs ?? 30_000,
        base * 2 ** (this.crashesInARow - 1),
      );
      this.restarts++;
      this.options.say(
        `${this.options.name} exited (${signal ?? `code ${code}`}); restarting it in ${delay} ms ` +
          `(restart ${this.restarts}); the rest of the stack stays up`,
      );
      this.timer = setTimeout(() => {
        if (!this.stopping) this.start();
      }, delay);
    });
  }

  /** Stops the process (SIGTERM: it drains and exits) and any restart still waiting. */
  async stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.timer);
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  }
}
