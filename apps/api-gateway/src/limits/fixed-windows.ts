/** A key's current window: requests counted in it, and when it ends (ms since the epoch). */
export interface Window {
  count: number;
  endsAt: number;
}

/**
 * Fixed windows of `windowMs` per key, for at most `tracked` keys. Written here rather than
 * taken from @fastify/rate-limit's LocalStore, whose LRU list moves a key twice on every
 * request (a get and a set): a third of the limiter's cost on a cached list (`npm run
 * bench:gateway`). Here a key moves to the back of the map only when its window restarts, so
 * past `tracked` the keys whose windows started longest ago (idle clients) are forgotten first.
 */
export class FixedWindows {
  private readonly windows = new Map<string, Window>();

  constructor(
    readonly windowMs: number,
    private readonly tracked: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Counts one request of `key`; answers its window, the request included. */
  take(key: string): Window {
    const now = this.now();
    let window = this.windows.get(key);
    if (window === undefined || window.endsAt <= now) {
      if (window !== undefined) this.windows.delete(key);
      else if (this.windows.size >= this.tracked) this.forgetOldest();
      window = { count: 0, endsAt: now + this.windowMs };
      this.windows.set(key, window);
    }
    window.count++;
    return window;
  }

  /** The window of `key` as it stands, without counting; undefined when none is open. */
  peek(key: string): Window | undefined {
    const window = this.windows.get(key);
    return window !== undefined && window.endsAt > this.now() ? window : undefined;
  }

  get size(): number {
    return this.windows.size;
  }

  /** Drops the oldest tenth at once, so that a flood of new keys does not scan on each one. */
  private forgetOldest(): void {
    let drop = Math.max(1, Math.ceil(this.tracked / 10));
    for (const key of this.windows.keys()) {
      this.windows.delete(key);
      if (--drop === 0) return;
    }
  }
}
