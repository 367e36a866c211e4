import type { DataSource } from 'typeorm';

export interface WorkspaceInstallation {
  workspaceId: string;
  integrationId: string | null;
  installationId: string;
  accountLogin: string;
  connected: boolean;
}

/** Which GitHub installation each workspace connected, kept from the integration events. */
export class InstallationStore {
  constructor(private readonly dataSource: DataSource) {}

  async connect(installation: Omit<WorkspaceInstallation, 'connected'>): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO scanner.installations (workspace_id, integration_id, installation_id, account_login, connected, updated_at)
       VALUES ($1, $2, $3, $4, true, now())
       ON CONFLICT (workspace_id) DO UPDATE SET integration_id = EXCLUDED.integration_id,
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

  async disconnect(workspaceId: string): Promise<void> {
    await this.dataSource.query(
      `UPDATE scanner.installations SET connected = false, updated_at = now() WHERE workspace_id = $1`,
      [workspaceId],
    );
  }

  async get(workspaceId: string): Promise<WorkspaceInstallation | undefined> {
    const rows: Array<Record<string, unknown>> = await this.dataSource.query(
      `SELECT * FROM scanner.installations WHERE workspace_id = $1`,
      [workspaceId],
    );
    const row = rows[0];
    if (!row) return undefined;
    return {
      workspaceId: row.workspace_id as string,
      integrationId: (row.integration_id as string | null) ?? null,
      installationId: row.installation_id as string,
      accountLogin: row.account_login as string,
      connected: row.connected as boolean,
    };
  }

  async findByInstallationId(installationId: string): Promise<WorkspaceInstallation[]> {
    const rows: Array<{ workspace_id: string }> = await this.dataSource.query(
      `SELECT workspace_id FROM scanner.installations WHERE installation_id = $1 AND connected`,
      [installationId],
    );
    const found = await Promise.all(rows.map((r) => this.get(r.workspace_id)));
    return found.filter((f): f is WorkspaceInstallation => f !== undefined);
  }
}
