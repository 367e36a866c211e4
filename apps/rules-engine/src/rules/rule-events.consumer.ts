import {
  Inject,
  Injectable,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import type { Logger } from 'pino';
import { RuleSubjects, Streams, type Envelope } from '#libs/contracts/src/index.js';
import type { Bus } from '#libs/messaging/src/index.js';
import { BUS, LOGGER } from '#libs/service-kit/src/index.js';
import { DurableConsumer } from '../bus/durable-consumer.js';
import { RULE_CATALOG, type RuleCatalog } from './rule-catalog.js';

export const RULE_EVENTS_CONSUMER = 'rules-engine-rule-events';

/** Keeps the engine's rules from the integration service's rule events (a durable consumer). */
@Injectable()
export class RuleEventsConsumer implements OnApplicationBootstrap, OnModuleDestroy {
  private consumer: DurableConsumer | undefined;

  constructor(
    @Inject(BUS) private readonly bus: Bus,
    @Inject(RULE_CATALOG) private readonly catalog: RuleCatalog,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
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
      (msg) => this.catalog.apply(msg.json<Envelope>()),
      this.logger,
    );
    await this.consumer.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.consumer?.stop();
  }
}
