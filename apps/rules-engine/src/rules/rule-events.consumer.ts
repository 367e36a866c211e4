import {
  Inject,
  Injectable,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import type { Subscription } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import {
  RulesEngineSubjects,
  RuleSubjects,
  Streams,
  type Envelope,
} from '#libs/contracts/src/index.js';
import type { Bus } from '#libs/messaging/src/index.js';
import { BUS, LOGGER } from '#libs/service-kit/src/index.js';
import { DurableConsumer } from '../bus/durable-consumer.js';
import { RULE_CATALOG, type RuleCatalog } from './rule-catalog.js';

export const RULE_EVENTS_CONSUMER = 'rules-engine-rule-events';

/**
 * Keeps the engine's rules from the integration service's rule events (a durable consumer: one
 * replica applies each), and tells the other replicas which workspace's rules changed, so that
 * they drop what they keep of them (core NATS; a lost notice is bounded by the catalog's keep).
 */
@Injectable()
export class RuleEventsConsumer implements OnApplicationBootstrap, OnModuleDestroy {
  private consumer: DurableConsumer | undefined;
  private notices: Subscription | undefined;

  constructor(
    @Inject(BUS) private readonly bus: Bus,
    @Inject(RULE_CATALOG) private readonly catalog: RuleCatalog,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.notices = this.bus.nc.subscribe(RulesEngineSubjects.rulesChanged, {
      callback: (error, msg) => {
        if (!error) this.catalog.forget(msg.string());
      },
    });
    this.consumer = new DurableConsumer(
      this.bus,
      {
        stream: Streams.integrationEvents.name,
        durable: RULE_EVENTS_CONSUMER,
        filterSubject: `${RuleSubjects.events}.>`,
        ackWaitMs: 30_000,
        // In order: a rule's enable must not overtake its create.
        concurrency: 1,
        maxDeliver: 20,
      },
      async (msg) => {
        const workspaceId = await this.catalog.apply(msg.json<Envelope>());
        try {
          if (workspaceId) this.bus.nc.publish(RulesEngineSubjects.rulesChanged, workspaceId);
        } catch {
          // Bus away: the other replicas' keep runs out on its own.
        }
      },
      this.logger,
    );
    await this.consumer.start();
  }

  async onModuleDestroy(): Promise<void> {
    this.notices?.unsubscribe();
    await this.consumer?.stop();
  }
}
