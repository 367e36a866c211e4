import { Cron } from 'croner';
import { pollIntervalMs, type RuleTrigger } from '#libs/contracts/src/index.js';

/**
 * Parsed schedules by expression: every replica asks for every timed rule's due times each tick,
 * and parsing the expression cost more than finding its next runs (croner in a profile of
 * `npm run bench:rules`). A paused Cron only answers `nextRun`; the cache forgets everything
 * past `MAX_PARSED` expressions.
 */
const parsed = new Map<string, Cron>();
const MAX_PARSED = 10_000;

function cronOf(expression: string): Cron {
  let cron = parsed.get(expression);
  if (!cron) {
    if (parsed.size >= MAX_PARSED) parsed.clear();
    cron = new Cron(expression, { timezone: 'UTC', paused: true });
    parsed.set(expression, cron);
  }
  return cron;
}

/**
 * Due times of a schedule (5-field cron, UTC) or a poll (every interval, aligned to the epoch so
 * every replica computes the same instants) after `from` and at or before `to`, oldest first.
 */
export function dueTimes(trigger: RuleTrigger, from: Date, to: Date, max = 1_000): string[] {
  const due: string[] = [];
  if (trigger.event === 'schedule' && trigger.schedule) {
    const cron = cronOf(trigger.schedule);
    let at = from;
    while (due.length < max) {
      const next = cron.nextRun(at);
      if (!next || next.getTime() > to.getTime()) break;
      due.push(next.toISOString());
      at = next;
    }
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
