import {
  Inject,
  Injectable,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import type { Logger } from 'pino';
import { Streams, type GithubWebhookEnvelope } from '#libs/contracts/src/index.js';
import { rulesMetrics } from '#libs/observability/src/metrics/rules.js';
import { DurableConsumer, MessageBodies, type Bus } from '#libs/messaging/src/index.js';
import { BUS, LOGGER, SERVICE_CONFIG } from '#libs/service-kit/src/index.js';
import { engineRetryDelayMs } from '../bus/retry.js';
import type { EngineConfig } from '../config.js';
import { EVALUATOR, type Evaluator } from '../evaluation/evaluator.js';
import { RULE_CATALOG, type RuleCatalog } from '../rules/rule-catalog.js';
import { appBotLogin, sentBy, startsOn, targetOf, webhookTrigger } from './trigger.js';

export const WEBHOOK_TRIGGERS_CONSUMER = 'rules-engine-github-webhooks';

/**
 * GitHub events as triggers: the engine's own durable consumer of the verified deliveries on
 * GITHUB_WEBHOOKS, shared by its replicas (each delivery goes to one). A delivery runs every
 * enabled rule and policy of its workspace that starts on it; deliveries about one pull request
 * run one after the other on a replica, so a warn policy's comment is made once and then edited.
 * A redelivery finds its runs and repeats no action. A delivery the App's own bot sent (what a
 * rule's GitHub action did) starts nothing: otherwise a rule on `issues.opened` that opens an
 * issue would start itself without end. GitHub Actions likewise starts no workflow on events made
 * with `GITHUB_TOKEN`; other bots' deliveries (`dependabot[bot]`) start rules as people's do.
 */
@Injectable()
export class WebhookTriggersConsumer implements OnApplicationBootstrap, OnModuleDestroy {
  private consumer: DurableConsumer | undefined;
  private readonly envelopes = new MessageBodies<GithubWebhookEnvelope>();
  private readonly appBot: string;

  constructor(
    @Inject(BUS) private readonly bus: Bus,
    @Inject(RULE_CATALOG) private readonly catalog: RuleCatalog,
    @Inject(EVALUATOR) private readonly evaluator: Evaluator,
    @Inject(SERVICE_CONFIG) private readonly config: EngineConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.appBot = appBotLogin(config.GITHUB_APP_SLUG);
  }

  async onApplicationBootstrap(): Promise<void> {
    this.consumer = new DurableConsumer(
      this.bus,
      {
        stream: Streams.githubWebhooks.name,
        durable: WEBHOOK_TRIGGERS_CONSUMER,
        ackWaitMs: this.config.ENGINE_ACK_WAIT_MS,
        concurrency: this.config.ENGINE_CONCURRENCY,
        maxDeliver: 10,
        retryDelayMs: engineRetryDelayMs,
        // A message that cannot be read has no key (the consumer says so).
        keyOf: (msg) => {
          const envelope = this.envelopes.of(msg);
          const target = targetOf(envelope.data.payload ?? {});
          return target.repo && target.number
            ? `${envelope.workspaceId}:${target.repo}#${target.number}`
            : null;
        },
      },
      (msg) => this.handle(this.envelopes.of(msg)),
      this.logger,
    );
    await this.consumer.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.consumer?.stop();
  }

  private async handle(envelope: GithubWebhookEnvelope): Promise<void> {
    const workspaceId = envelope.workspaceId;
    if (!workspaceId || !envelope.data?.payload) return;
    const trigger = webhookTrigger(workspaceId, envelope.data, envelope.correlationId);
    const rules = (await this.catalog.enabledFor(workspaceId)).filter((rule) =>
      startsOn(rule, trigger),
    );
    if (rules.length > 0 && sentBy(trigger.data, this.appBot)) {
      // No run is recorded: each action of the App comes back as a delivery, and a skipped run
      // per rule for each would bury the runs people look for. Each rule counts as skipped in
      // rule_runs_total; the log line is debug only, as frequent as the App's actions.
      rules.forEach(() => rulesMetrics.runFinished('skipped'));
      this.logger.debug(
        {
          deliveryId: envelope.data.deliveryId,
          event: trigger.event,
          sender: this.appBot,
          ruleIds: rules.map((rule) => rule.id),
        },
        "delivery sent by the App's own bot: no rule started, so its actions do not start it again",
      );
      return;
    }
    // Every rule runs even when one fails; the delivery is retried if any did not finish.
    const results = await Promise.allSettled(
      rules.map((rule) => this.evaluator.run(rule, trigger)),
    );
    const failed = results.find((r) => r.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
  }
}
