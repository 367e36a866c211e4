import type { DataSource, EntityManager } from 'typeorm';

export interface WorkspaceInstallation {
  workspaceId: string;
  integrationId: string;
  installationId: string;
  accountLogin: string;
  connected: boolean;
}

type Db = Pick<EntityManager, 'query'>;

/**
 * Which GitHub installation each of a workspace's GitHub integrations connected, kept from the
 * integration events. A workspace may have several; scans use the one connected last.
 */
export class InstallationStore {
  constructor(private readonly dataSource: DataSource) {}

  async connect(
    installation: Omit<WorkspaceInstallation, 'connected'>,
    db: Db = this.dataSource,
  ): Promise<void> {
    await db.query(
      `INSERT INTO scanner.installations (workspace_id, integration_id, installation_id, account_login, connected, updated_at)
       VALUES ($1, $2, $3, $4, true, now())
       ON CONFLICT (integration_id) DO UPDATE SET workspace_id = EXCLUDED.workspace_id,
         installation_id = EXCLUDED.installation_id, account_login = EXCLUDED.account_login,
         connected = true, updated_at = now()`,
      [
        installation.workspaceId,
        installation.integrationId,
        installation.installationId,
        installation.accountLogin,
      ],
    );
  }

  /** This integration no longer scans; the workspace's other GitHub integrations stay. */
  async disconnect(integrationId: string, db: Db = this.dataSource): Promise<void> {
    await db.query(
      `UPDATE scanner.installations SET connected = false, updated_at = now() WHERE integration_id = $1`,
      [integrationId],
    );
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
