import { Inject, Injectable } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import {
  IntegrationEventTypes,
  IntegrationSubjects,
  Streams,
  type Envelope,
  type IntegrationDeletedData,
} from '#libs/contracts/src/index.js';
import { Projections, type Db, type Projection } from '#libs/projections/src/index.js';
import { DATA_SOURCE } from '#libs/service-kit/src/index.js';
import { ProjectionWaiter } from '../projections/index.js';
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
  tx: Db,
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
export const deletionsProjection: Projection = {
  name: REST_DELETIONS_PROJECTION,
  stream: Streams.integrationEvents.name,
  subject: `${IntegrationSubjects.events}.>`,
  canHandle: (event) => deletionRecord(event) !== undefined,
  async apply(tx, events) {
    for (const event of events) await applyDeletion(tx, deletionRecord(event)!);
  },
};

/** Runs the projection; the orgs whose deletions it recorded lose their cached list pages. */
@Injectable()
export class DeletionsProjection {
  readonly waiter: ProjectionWaiter;

  constructor(
    @Inject(DATA_SOURCE) dataSource: DataSource,
    @Inject(Projections) projections: Projections,
    @Inject(RestListCache) cache: RestListCache,
  ) {
    this.waiter = new ProjectionWaiter(dataSource, REST_DELETIONS_PROJECTION);
    projections.run(deletionsProjection, {
      onApplied: ({ checkpoint, events }) => {
        for (const event of events) if (event.workspaceId) cache.invalidate(event.workspaceId);
        this.waiter.applied(checkpoint.position);
      },
    });
  }
}
