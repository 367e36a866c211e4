import {
  Inject,
  Injectable,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import type { Logger } from 'pino';
import type { Bus } from '#libs/messaging/src/index.js';
import { BUS, LOGGER, SERVICE_CONFIG } from '#libs/service-kit/src/index.js';
import type { EngineConfig } from '../config.js';
import { RULE_CATALOG, type RuleCatalog } from '../rules/rule-catalog.js';
import { dueTimes } from './due-times.js';
import {
  SCHEDULED_RUNS_SUBJECT,
  scheduledRunMessageId,
  type ScheduledRunJob,
} from './schedule-jobs.js';

/**
 * Every replica looks for due schedules and polls each tick and publishes each due time to the
 * work queue RULE_JOBS with a message id of rule and due time: JetStream keeps one message per
 * id (within a day), so a due time seen by several replicas is one job, run by one of them. The
 * first tick after a start looks back `SCHEDULE_CATCH_UP_MS` (never before the rule was enabled),
 * so a due time missed while no replica ran still fires, once.
 */
@Injectable()
export class Scheduler implements OnApplicationBootstrap, OnModuleDestroy {
  private timer: NodeJS.Timeout | undefined;
  private lastTick: Date | undefined;
  private ticking: Promise<unknown> | undefined;

  constructor(
    @Inject(BUS) private readonly bus: Bus,
    @Inject(RULE_CATALOG) private readonly catalog: RuleCatalog,
    @Inject(SERVICE_CONFIG) private readonly config: EngineConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.config.SCHEDULES_ENABLED) return;
    const tick = () => {
      this.ticking = this.tick().catch((error: unknown) =>
        this.logger.error({ err: error }, 'schedule tick failed; retrying next tick'),
      );
    };
    tick();
    this.timer = setInterval(tick, this.config.SCHEDULE_TICK_MS);
    this.timer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.ticking;
  }

  async tick(now = new Date()): Promise<number> {
    const from = this.lastTick ?? new Date(now.getTime() - this.config.SCHEDULE_CATCH_UP_MS);
    let published = 0;
    for (const rule of await this.catalog.timed()) {
      const since = new Date(Math.max(from.getTime(), Date.parse(rule.activeSince)));
      for (const dueAt of dueTimes(rule.definition.trigger, since, now)) {
        const job: ScheduledRunJob = {
          ruleId: rule.id,
          workspaceId: rule.workspaceId,
          kind: rule.definition.trigger.event === 'poll' ? 'poll' : 'schedule',
          dueAt,
        };
        await this.bus.publish(SCHEDULED_RUNS_SUBJECT, JSON.stringify(job), {
          msgID: scheduledRunMessageId(job),
        });
        published++;
      }
    }
    // Only after every due time is on the queue: a failed tick is looked at again next time.
    this.lastTick = now;
    return published;
  }
}
