import { Inject, Injectable } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { join } from '#libs/event-store/src/index.js';
import { DATA_SOURCE } from '#libs/service-kit/src/index.js';
import { InstallationDirectory } from './installation-directory.js';
import type { InstallationOwner } from './installations.projection.js';
import { ReplayGuard } from './replay-guard.js';

/** What intake learns of a verified delivery before it stores it. */
export interface Admission {
  /** The workspace that has the delivery's installation connected; none: not processed. */
  owner: InstallationOwner | undefined;
  /** Its body was accepted within the replay window under another delivery id. */
  replay: boolean;
}

/**
 * The database's part of taking a delivery, in one statement: the installation's owner
 * (InstallationDirectory) and, for an owned one, the body remembered against replays
 * (ReplayGuard). At 200 deliveries a second these were two round trips each
 * (`npm run bench:rules` prints the gateway's per delivery).
 */
@Injectable()
export class DeliveryAdmission {
  constructor(
    @Inject(DATA_SOURCE) private readonly dataSource: DataSource,
    private readonly installations: InstallationDirectory,
    private readonly replays: ReplayGuard,
  ) {}

  async admit(installationId: number, rawBody: Buffer, deliveryId: string): Promise<Admission> {
    const statement = join(
      [
        this.installations.ownerQuery(installationId),
        this.replays.rememberQuery(rawBody, deliveryId, 'EXISTS (SELECT 1 FROM owner)'),
      ],
      ([owner, remember]) => `WITH owner AS (${owner}), remembered AS (${remember})
        SELECT o.workspace_id, o.integration_id,
          (SELECT delivery_id FROM remembered) AS first_delivery_id
        FROM (SELECT 1) one LEFT JOIN owner o ON true`,
    );
    const [row] = (await this.dataSource.query(statement.text, statement.values)) as Array<{
      workspace_id: string | null;
      integration_id: string | null;
      first_delivery_id: string | null;
    }>;
    if (!row?.workspace_id) return { owner: undefined, replay: false };
    return {
      owner: { workspaceId: row.workspace_id, integrationId: row.integration_id! },
      replay: row.first_delivery_id !== deliveryId,
    };
  }
}
