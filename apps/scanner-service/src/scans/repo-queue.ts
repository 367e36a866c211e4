/**
 * Repositories waiting to be read, fed by the listing while it runs: reading starts with the
 * first page instead of after the last. `next()` waits while the listing may still add some.
 */
export class RepoQueue<T> {
  private readonly items: T[] = [];
  private finished = false;
  private wake: (() => void) | undefined;
  private woken: Promise<void> | undefined;

  push(items: T[]): void {
    this.items.push(...items);
    this.notify();
  }

  finish(): void {
    this.finished = true;
    this.notify();
  }

  async next(): Promise<T | undefined> {
    for (;;) {
      const item = this.items.shift();
      if (item !== undefined) return item;
      if (this.finished) return undefined;
      this.woken ??= new Promise<void>((resolve) => (this.wake = resolve));
      await this.woken;
    }
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    this.woken = undefined;
    wake?.();
  }
}
