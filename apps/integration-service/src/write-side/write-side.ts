import type pg from 'pg';
import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import { IntegrationSubjects, RuleSubjects, eventSubject } from '#libs/contracts/src/index.js';
import {
  EventPublisher,
  EventStore,
  jetStreamSink,
  type StoredEvent,
} from '#libs/event-store/src/index.js';
import type { Bus } from '#libs/messaging/src/index.js';
import { CredentialVault } from '../credentials/credential-vault.js';
import { integrationUpcasters } from '../integrations/upcasters.js';
import { CommandRunner } from './command-runner.js';

export const WRITE_SIDE = Symbol('WRITE_SIDE');

/** Integration and rule events go out on their own subjects of the INTEGRATION_EVENTS stream. */
export function subjectFor(event: Pick<StoredEvent, 'type'>): string {
  const prefix = event.type.startsWith('Rule') ? RuleSubjects.events : IntegrationSubjects.events;
  return eventSubject(prefix, event.type);
}

/** What every handler of this service works with, built once from the service's infrastructure. */
export class WriteSide {
  readonly pool: pg.Pool;
  readonly store: EventStore;
  readonly vault: CredentialVault;
  readonly publisher: EventPublisher;
  readonly runner: CommandRunner;

  constructor(
    dataSource: DataSource,
    bus: Bus,
    logger: Logger,
    options: { masterKey: string; pollIntervalMs: number },
  ) {
    // TypeORM's postgres driver keeps its pg Pool as `master`; the event store talks to pg directly.
    this.pool = (dataSource.driver as unknown as { master: pg.Pool }).master;
    this.store = new EventStore(this.pool, 'integration', integrationUpcasters);
    this.vault = new CredentialVault(options.masterKey, 'integration.data_keys');
    this.publisher = new EventPublisher(this.store, jetStreamSink(bus, subjectFor), {
      name: 'jetstream',
      pollIntervalMs: options.pollIntervalMs,
      logger,
    });
    this.runner = new CommandRunner(
      this.pool,
      this.store,
      'integration.idempotency_keys',
      logger,
      () => this.publisher.wake(),
    );
  }
}
