import { Inject, Injectable } from '@nestjs/common';
import { IntegrationSubjects, Streams } from '#libs/contracts/src/index.js';
import {
  Projections,
  writeWithCheckpoint,
  type BatchWrites,
  type Db,
  type Event,
  type Projection,
} from '#libs/projections/src/index.js';
import { sql, type Sql } from '#libs/event-store/src/index.js';
import { installationChangeOf, type InstallationOwner } from './installations.projection.js';

export const INSTALLATIONS_PROJECTION = 'gateway-github-installations';

/**
 * `gateway.github_installations`: which workspace (and integration) has each GitHub App
 * installation connected, folded from the integration events by the service's projection runner
 * (a batch at a time: one read of the owners it names, then the rows and the checkpoint in one
 * statement; an event it cannot apply is parked, never skipped).
 */
export const installationsProjection: Projection = {
  name: INSTALLATIONS_PROJECTION,
  stream: Streams.integrationEvents.name,
  subject: `${IntegrationSubjects.events}.>`,
  canHandle: (event) => (event.data as { provider?: string } | null)?.provider === 'github',
  checkpointInApply: true,
  async apply(db, events, checkpoint) {
    const changed = await ownerChangesOf(db, events);
    const writes: BatchWrites =
      changed.size === 0
        ? { ctes: [], values: [] }
        : {
            ctes: [
              `owners AS (INSERT INTO gateway.github_installations
                 (installation_id, workspace_id, integration_id, stream_seq, updated_at)
               SELECT x.installation_id, x.workspace_id, x.integration_id, 0, now()
               FROM jsonb_to_recordset($1::jsonb)
                 AS x(installation_id bigint, workspace_id text, integration_id text)
               ON CONFLICT (installation_id) DO UPDATE
                 SET workspace_id = EXCLUDED.workspace_id,
                     integration_id = EXCLUDED.integration_id, updated_at = now())`,
            ],
            values: [
              JSON.stringify(
                [...changed].map(([installationId, owner]) => ({
                  installation_id: installationId,
                  workspace_id: owner?.workspaceId ?? null,
                  integration_id: owner?.integrationId ?? null,
                })),
              ),
            ],
          };
    await writeWithCheckpoint(db, 'gateway', writes, checkpoint);
  },
};

/**
 * What a batch changes, folded in order from the owners it names as they are now: each
 * installation it touches, with its new owner or null once no workspace holds it.
 */
async function ownerChangesOf(
  db: Db,
  events: Event[],
): Promise<Map<number, InstallationOwner | null>> {
  const integrationIds = events.flatMap((e) => {
    const id = (e.data as { integrationId?: unknown }).integrationId;
    return typeof id === 'string' ? [id] : [];
  });
  const byIntegration = new Map<string, number>();
  const byInstallation = new Map<number, InstallationOwner>();
  for (const row of await loadOwners(db, integrationIds)) {
    byIntegration.set(row.integrationId, row.installationId);
    byInstallation.set(row.installationId, row);
  }
  const changed = new Map<number, InstallationOwner | null>();
  const forget = (installationId: number) => {
    const owner = byInstallation.get(installationId);
    if (owner) byIntegration.delete(owner.integrationId);
    byInstallation.delete(installationId);
    changed.set(installationId, null);
  };
  for (const event of events) {
    const change = installationChangeOf(event, (id) => byIntegration.get(id));
    if (!change) continue;
    forget(change.installationId);
    if (change.owner === null) continue;
    // An integration reconnected with another installation no longer owns its old one.
    const previous = byIntegration.get(change.owner.integrationId);
    if (previous !== undefined) forget(previous);
    byIntegration.set(change.owner.integrationId, change.installationId);
    byInstallation.set(change.installationId, change.owner);
    changed.set(change.installationId, change.owner);
  }
  return changed;
}

async function loadOwners(
  db: Db,
  integrationIds: string[],
): Promise<Array<InstallationOwner & { installationId: number }>> {
  if (integrationIds.length === 0) return [];
  const rows: Array<{ installation_id: string; workspace_id: string; integration_id: string }> =
    await db.query(
      `SELECT installation_id, workspace_id, integration_id FROM gateway.github_installations
       WHERE integration_id = ANY($1::text[])`,
      [integrationIds],
    );
  return rows.map((r) => ({
    installationId: Number(r.installation_id),
    workspaceId: r.workspace_id,
    integrationId: r.integration_id,
  }));
}

/** How often an unknown installation may ask whether the projection has caught up. */
const CURRENT_CHECK_MS = 1_000;

/** Maps a GitHub App installation to the workspace that connected it, for webhook intake. */
@Injectable()
export class InstallationDirectory {
  private caughtUp = false;
  private checkedAt = 0;

  constructor(@Inject(Projections) private readonly projections: Projections) {
    // The lead replica knows at once: a batch with nothing behind it leaves the map current.
    projections.run(installationsProjection, {
      onApplied: ({ behind }) => {
        if (behind === 0) this.caughtUp = true;
      },
    });
  }

  /**
   * The workspace (and integration) that has this installation connected now, if any, as a query
   * of `workspace_id, integration_id` that intake runs with its other lookups (DeliveryAdmission).
   */
  ownerQuery(installationId: number): Sql {
    return sql`SELECT workspace_id, integration_id FROM gateway.github_installations
      WHERE installation_id = ${installationId} AND workspace_id IS NOT NULL`;
  }

  /**
   * False until the projection has once caught up with the integration events: an installation
   * missing before then may just not be read yet. A standby replica asks the bus, at most once a
   * second.
   */
  async current(): Promise<boolean> {
    if (this.caughtUp || Date.now() - this.checkedAt < CURRENT_CHECK_MS) return this.caughtUp;
    this.checkedAt = Date.now();
    const status = await this.projections
      .get(INSTALLATIONS_PROJECTION)
      ?.status()
      .catch(() => undefined);
    // Once current, always current (an apply may have said so while the bus was asked).
    this.caughtUp ||= status?.lag === 0 && status.state !== 'starting';
    return this.caughtUp;
  }
}
