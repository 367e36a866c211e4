import { Inject, Injectable } from '@nestjs/common';
import { DATA_SOURCE } from '#libs/service-kit/src/index.js';
import type { DataSource } from 'typeorm';
import type { BatchWrites } from '#libs/projections/src/index.js';

export interface WorkspaceInstallation {
  workspaceId: string;
  integrationId: string;
  installationId: string;
  accountLogin: string;
  connected: boolean;
}

/**
 * Which GitHub installation each of a workspace's GitHub integrations connected, kept from the
 * integration events. A workspace may have several; scans use the one connected last.
 */
@Injectable()
export class InstallationStore {
  constructor(@Inject(DATA_SOURCE) private readonly dataSource: DataSource) {}

  /**
   * A batch of the projection as one write (see `writeWithCheckpoint`): `rows` (integrations the batch
   * connected, as they stand at its end) upserted whole, and `disconnected` (integrations it only
   * disconnected) marked so. The two never name the same integration.
   */
  static batchWrites(rows: WorkspaceInstallation[], disconnected: string[]): BatchWrites {
    return {
      ctes: [
        `connected AS (INSERT INTO scanner.installations
           (workspace_id, integration_id, installation_id, account_login, connected, updated_at)
         SELECT x.workspace_id, x.integration_id, x.installation_id, x.account_login, x.connected,
           now()
         FROM jsonb_to_recordset($1::jsonb) AS x(workspace_id text, integration_id text,
           installation_id text, account_login text, connected boolean)
         ON CONFLICT (integration_id) DO UPDATE SET workspace_id = EXCLUDED.workspace_id,
           installation_id = EXCLUDED.installation_id, account_login = EXCLUDED.account_login,
           connected = EXCLUDED.connected, updated_at = now())`,
        `disconnected AS (UPDATE scanner.installations SET connected = false, updated_at = now()
         WHERE integration_id = ANY($2::text[]))`,
      ],
      values: [
        JSON.stringify(
          rows.map((row) => ({
            workspace_id: row.workspaceId,
            integration_id: row.integrationId,
            installation_id: row.installationId,
            account_login: row.accountLogin,
            connected: row.connected,
          })),
        ),
        disconnected,
      ],
    };
  }

  /** Whether one integration's installation is connected now; undefined while none is recorded. */
  async isConnected(integrationId: string): Promise<boolean | undefined> {
    const rows: Array<{ connected: boolean }> = await this.dataSource.query(
      `SELECT connected FROM scanner.installations WHERE integration_id = $1`,
      [integrationId],
    );
    return rows[0]?.connected;
  }

  /** The workspace's installation to scan: the one connected last, else the last one known. */
  async get(workspaceId: string): Promise<WorkspaceInstallation | undefined> {
    const rows: Array<Record<string, unknown>> = await this.dataSource.query(
      `SELECT * FROM scanner.installations WHERE workspace_id = $1
       ORDER BY connected DESC, updated_at DESC LIMIT 1`,
      [workspaceId],
    );
    const row = rows[0];
    if (!row) return undefined;
    return {
      workspaceId: row.workspace_id as string,
      integrationId: row.integration_id as string,
      installationId: row.installation_id as string,
      accountLogin: row.account_login as string,
      connected: row.connected as boolean,
    };
  }
}
