import type { SupervisedService } from './stack.js';

const ready = (url: string) =>
  fetch(`${url}/health/ready`, { signal: AbortSignal.timeout(2_000) }).then(
    (r) => r.status === 200,
    () => false,
  );

/**
 * Watches `/health/ready` of every service from a fault on (every 200 ms). Readiness is back at
 * the first poll where all answer 200 after the last poll where one did not; a fault that never
 * cost readiness reads 0.
 */
export class ReadinessWatch {
  private lastNotReady: number | undefined;
  private allReadySince: number | undefined;
  private stopped = false;
  private readonly loop: Promise<void>;

  constructor(
    private readonly services: SupervisedService[],
    private readonly since: number,
  ) {
    this.loop = this.poll();
  }

  private async poll(): Promise<void> {
    while (!this.stopped) {
      const at = Date.now();
      const all = (await Promise.all(this.services.map((s) => ready(s.url)))).every(Boolean);
      if (!all) {
        this.lastNotReady = at;
        this.allReadySince = undefined;
      } else this.allReadySince ??= at;
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /** Ms from the fault until readiness was back, waiting up to `timeoutMs` for it. */
  async backAfter(timeoutMs: number): Promise<number | undefined> {
    const deadline = Date.now() + timeoutMs;
    while (this.allReadySince === undefined && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
    }
    this.stopped = true;
    await this.loop;
    if (this.allReadySince === undefined) return undefined;
    return this.lastNotReady === undefined ? 0 : this.allReadySince - this.since;
  }
}
