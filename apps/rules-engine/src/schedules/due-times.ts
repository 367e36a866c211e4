import { Cron } from 'croner';
import { pollIntervalMs, type RuleTrigger } from '#libs/contracts/src/index.js';

/**
 * Due times of a schedule (5-field cron, UTC) or a poll (every interval, aligned to the epoch so
 * every replica computes the same instants) after `from` and at or before `to`, oldest first.
 */
export function dueTimes(trigger: RuleTrigger, from: Date, to: Date, max = 1_000): string[] {
  const due: string[] = [];
  if (trigger.event === 'schedule' && trigger.schedule) {
    const cron = new Cron(trigger.schedule, { timezone: 'UTC', paused: true });
    let at = from;
    while (due.length < max) {
      const next = cron.nextRun(at);
      if (!next || next.getTime() > to.getTime()) break;
      due.push(next.toISOString());
      at = next;
    }
    cron.stop();
  } else if (trigger.event === 'poll' && trigger.interval) {
    const every = pollIntervalMs(trigger.interval);
    if (!every) return due;
    for (
      let t = Math.floor(from.getTime() / every) * every + every;
      t <= to.getTime() && due.length < max;
      t += every
    ) {
      due.push(new Date(t).toISOString());
    }
  }
  return due;
}
