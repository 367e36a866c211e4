import { Injectable } from '@nestjs/common';
import { webhookProcessed } from '#libs/observability/src/metrics/webhooks.js';

/** Deliveries handled by this replica since it started, by event type and outcome. */
@Injectable()
export class WebhookCounters {
  private readonly counts = new Map<string, number>();

  count(event: string, outcome: string): void {
    const key = `${event}:${outcome}`;
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
    webhookProcessed.inc({ event, outcome });
  }

  get(event: string, outcome: string): number {
    return this.counts.get(`${event}:${outcome}`) ?? 0;
  }

  snapshot(): Record<string, number> {
    return Object.fromEntries(this.counts);
  }
}
