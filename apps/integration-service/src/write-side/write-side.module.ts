import {
  Inject,
  Module,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import pg from 'pg';
import type { Logger } from 'pino';
import { IntegrationSubjects, RuleSubjects, eventSubject } from '#libs/contracts/src/index.js';
import {
  CommandHandler,
  EventPublisher,
  EventStore,
  jetStreamSink,
  type StoredEvent,
} from '#libs/event-store/src/index.js';
import type { Bus } from '#libs/messaging/src/index.js';
import { createPgPool } from '#libs/database/src/index.js';
import { BUS, LOGGER, SERVICE_CONFIG } from '#libs/service-kit/src/index.js';
import { CredentialVault, DATA_KEYS_TABLE } from '../credentials/credential-vault.js';
import { MasterKeyring } from '../credentials/master-keyring.js';
import type { IntegrationServiceConfig } from '../config.js';
import { integrationUpcasters } from '../integrations/upcasters.js';

/** The pool the write side talks to Postgres through (its own, built from `DATABASE_URL`). */
export const PG_POOL = Symbol('PG_POOL');

/** Integration and rule events go out on their own subjects of the INTEGRATION_EVENTS stream. */
export function subjectFor(event: Pick<StoredEvent, 'type'>): string {
  const prefix = event.type.startsWith('Rule') ? RuleSubjects.events : IntegrationSubjects.events;
  return eventSubject(prefix, event.type);
}

/**
 * The write side's parts, each injectable on its own: the pool, the event store, the credential
 * vault, the publisher that tails the log onto JetStream, and the decider kit's command handler.
 * Feature modules import this module; the publisher runs for as long as the service runs.
 */
@Module({
  providers: [
    {
      provide: PG_POOL,
      inject: [SERVICE_CONFIG, LOGGER],
      useFactory: (config: IntegrationServiceConfig, logger: Logger) =>
        createPgPool({
          url: config.DATABASE_URL,
          applicationName: 'integration-service',
          max: config.DATABASE_POOL_SIZE,
          logger,
        }),
    },
    {
      provide: EventStore,
      inject: [PG_POOL],
      useFactory: (pool: pg.Pool) => new EventStore(pool, 'integration', integrationUpcasters),
    },
    {
      provide: CredentialVault,
      inject: [SERVICE_CONFIG],
      useFactory: (config: IntegrationServiceConfig) =>
        new CredentialVault(MasterKeyring.fromConfig(config), DATA_KEYS_TABLE),
    },
    {
      provide: EventPublisher,
      inject: [EventStore, BUS, LOGGER, SERVICE_CONFIG],
      useFactory: (store: EventStore, bus: Bus, logger: Logger, config: IntegrationServiceConfig) =>
        new EventPublisher(
          store,
          jetStreamSink(bus, subjectFor, { maxPayload: () => bus.nc.info?.max_payload }),
          {
            name: 'jetstream',
            pollIntervalMs: config.EVENT_PUBLISH_POLL_MS,
            logger,
          },
        ),
    },
    {
      provide: CommandHandler,
      inject: [PG_POOL, EventStore, CredentialVault, EventPublisher, LOGGER],
      useFactory: (
        pool: pg.Pool,
        store: EventStore,
        vault: CredentialVault,
        publisher: EventPublisher,
        logger: Logger,
      ) =>
        new CommandHandler(
          pool,
          store,
          'integration.idempotency_keys',
          logger,
          (appended) => publisher.wake(appended),
          (on, integrationId, credentials) => vault.seal(on, integrationId, credentials),
        ),
    },
  ],
  exports: [PG_POOL, EventStore, CredentialVault, EventPublisher, CommandHandler],
})
export class WriteSideModule implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(
    private readonly publisher: EventPublisher,
    @Inject(PG_POOL) private readonly pool: pg.Pool,
  ) {}

  onApplicationBootstrap(): void {
    this.publisher.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.publisher.stop();
    await this.pool.end();
  }
}
