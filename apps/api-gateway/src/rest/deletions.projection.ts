import {
  Inject,
  Injectable,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import type { Logger } from 'pino';
import type { DataSource, EntityManager } from 'typeorm';
import {
  IntegrationEventTypes,
  Streams,
  type Envelope,
  type IntegrationDeletedData,
} from '#libs/contracts/src/index.js';
import type { Bus } from '#libs/messaging/src/index.js';
import { BUS, DATA_SOURCE, LOGGER } from '#libs/service-kit/src/index.js';
import { ProjectionRunner, ProjectionWaiter } from '../projections/index.js';
import { RestListCache } from './rest-list-cache.js';

export const REST_DELETIONS_PROJECTION = 'gateway-rest-deletions';

/** A hard deletion as a follow-up list reports it; pure, so replay gives the same rows. */
export function deletionRecord(event: Envelope<string, unknown>) {
  if (event.type !== IntegrationEventTypes.deleted || !event.workspaceId) return undefined;
  const data = event.data as IntegrationDeletedData;
  return {
    integrationId: data.integrationId,
    workspaceId: event.workspaceId,
    integrationType: data.provider,
    orphanedTargets: data.orphanedTargets,
    deletedAt: data.deletedAt ?? event.occurredAt,
  };
}

async function applyDeletion(
  tx: EntityManager,
  record: NonNullable<ReturnType<typeof deletionRecord>>,
): Promise<void> {
  await tx.query(
    `INSERT INTO gateway.rest_deleted_integrations
       (integration_id, workspace_id, integration_type, orphaned_targets, deleted_at)
     VALUES ($1, $2, $3, $4, $5) ON CONFLICT (integration_id) DO NOTHING`,
    [
      record.integrationId,
      record.workspaceId,
      record.integrationType,
      record.orphanedTargets,
      record.deletedAt,
    ],
  );
}

/**
 * The deleted integration is gone from every read model, but what it orphaned must still be told:
 * this projection keeps each IntegrationDeleted event's count per org, from the events themselves
 * (whoever deleted it), checkpointed and rebuildable like the gateway's other read models.
 */
@Injectable()
export class DeletionsProjection implements OnApplicationBootstrap, OnModuleDestroy {
  readonly waiter: ProjectionWaiter;
  private readonly runner: ProjectionRunner;

  /** Orgs whose deletions the transaction in flight records; their list pages go once it commits. */
  private readonly changedOrgs = new Set<string>();

  constructor(
    @Inject(DATA_SOURCE) dataSource: DataSource,
    @Inject(BUS) bus: Bus,
    @Inject(LOGGER) logger: Logger,
    @Inject(RestListCache) cache: RestListCache,
  ) {
    this.waiter = new ProjectionWaiter(dataSource, REST_DELETIONS_PROJECTION);
    this.runner = new ProjectionRunner(
      {
        name: REST_DELETIONS_PROJECTION,
        stream: Streams.integrationEvents.name,
        apply: async (tx, event) => {
          const record = deletionRecord(event);
          if (!record) return;
          this.changedOrgs.add(record.workspaceId);
          await applyDeletion(tx, record);
        },
      },
      dataSource,
      bus,
      logger,
      (position) => {
        for (const orgId of this.changedOrgs) cache.invalidate(orgId);
        this.changedOrgs.clear();
        this.waiter.applied(position);
      },
    );
  }

  onApplicationBootstrap(): void {
    this.runner.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.runner.stop();
  }
}
