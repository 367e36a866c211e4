import { Injectable } from '@nestjs/common';

/** What intake did with deliveries since this replica started, by outcome and event type. */
@Injectable()
export class IntakeCounters {
  private readonly counts = new Map<string, number>();

  count(outcome: string, event = '*'): void {
    const key = `${outcome}:${event}`;
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  }

  get(outcome: string, event = '*'): number {
    return this.counts.get(`${outcome}:${event}`) ?? 0;
  }

  snapshot(): Record<string, number> {
    return Object.fromEntries(this.counts);
  }
}
