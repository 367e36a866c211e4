import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import type { Logger } from 'pino';
import { LOGGER } from '#libs/service-kit/src/index.js';
import { webhookIntake } from '#libs/observability/src/metrics/webhooks.js';

/**
 * What intake did with deliveries since this replica started, by outcome and event type
 * (accepted, duplicate, unknown_installation, bad_signature, ...). Logged once a minute when
 * they changed, so deliveries acknowledged but not processed are visible to ops.
 */
@Injectable()
export class IntakeCounters implements OnModuleDestroy {
  private readonly counts = new Map<string, number>();
  private changed = false;
  private readonly timer: NodeJS.Timeout;

  constructor(@Inject(LOGGER) private readonly logger: Logger) {
    this.timer = setInterval(() => this.report(), 60_000).unref();
  }

  count(outcome: string, event = '*'): void {
    const key = `${outcome}:${event}`;
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
    this.changed = true;
    // Only signed deliveries name their event; the rest count under '*'.
    webhookIntake.inc({ event, outcome });
  }

  get(outcome: string, event = '*'): number {
    return this.counts.get(`${outcome}:${event}`) ?? 0;
  }

  snapshot(): Record<string, number> {
    return Object.fromEntries(this.counts);
  }

  private report(): void {
    if (!this.changed) return;
    this.changed = false;
    this.logger.info({ webhookIntake: this.snapshot() }, 'GitHub webhook intake counts');
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
    this.report();
  }
}
