import { randomUUID } from 'node:crypto';
import {
  Inject,
  Injectable,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import type pg from 'pg';
import type { Logger } from 'pino';
import { Streams } from '#libs/contracts/src/index.js';
import { DurableConsumer, type Bus } from '#libs/messaging/src/index.js';
import { BUS, LOGGER, SERVICE_CONFIG } from '#libs/service-kit/src/index.js';
import { engineRetryDelayMs } from '../bus/retry.js';
import type { EngineConfig } from '../config.js';
import { EVALUATOR, type Evaluator } from '../evaluation/evaluator.js';
import { RULE_CATALOG, type RuleCatalog } from '../rules/rule-catalog.js';
import { ENGINE_STORE, type EngineStore } from '../runs/engine-store.js';
import { SCHEDULED_RUNS_CONSUMER, type ScheduledRunJob } from './schedule-jobs.js';

/**
 * Runs the due times on RULE_JOBS, shared by the replicas (a work queue: each job goes to one).
 * Each due time is claimed once (`rules.schedule_claims`), and its run id is derived from the rule
 * and the due time, so a job delivered again performs nothing twice.
 */
@Injectable()
export class ScheduledRunsConsumer implements OnApplicationBootstrap, OnModuleDestroy {
  private consumer: DurableConsumer | undefined;

  constructor(
    @Inject(BUS) private readonly bus: Bus,
    @Inject(RULE_CATALOG) private readonly catalog: RuleCatalog,
    @Inject(EVALUATOR) private readonly evaluator: Evaluator,
    @Inject(ENGINE_STORE) private readonly store: EngineStore,
    @Inject(SERVICE_CONFIG) private readonly config: EngineConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.consumer = new DurableConsumer(
      this.bus,
      {
        stream: Streams.ruleJobs.name,
        durable: SCHEDULED_RUNS_CONSUMER,
        ackWaitMs: this.config.ENGINE_ACK_WAIT_MS,
        concurrency: Math.max(1, Math.floor(this.config.ENGINE_CONCURRENCY / 4)),
        maxDeliver: 10,
        retryDelayMs: engineRetryDelayMs,
      },
      (msg) => this.run(msg.json<ScheduledRunJob>()),
      this.logger,
    );
    await this.consumer.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.consumer?.stop();
  }

  private async run(job: ScheduledRunJob): Promise<void> {
    const rule = await this.catalog.byId(job.ruleId);
    if (!rule || !rule.enabled) return;
    await (this.store.pool as pg.Pool).query(
      'INSERT INTO rules.schedule_claims (rule_id, due_at) VALUES ($1, $2) ON CONFLICT DO NOTHING',
      [job.ruleId, job.dueAt],
    );
    await this.evaluator.run(rule, {
      workspaceId: rule.workspaceId,
      key: `${job.kind}:${job.dueAt}`,
      run:
        job.kind === 'poll'
          ? { type: 'poll', event: 'poll', scheduledAt: job.dueAt }
          : { type: 'schedule', event: 'schedule', scheduledAt: job.dueAt },
      event: job.kind,
      data: {},
      correlationId: randomUUID(),
    });
  }
}
