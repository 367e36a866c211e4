import { Inject, Injectable } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { DATA_SOURCE } from '#libs/service-kit/src/index.js';
import { isUuid } from '../auth/workspace-store.js';
import type { IntegrationRow } from '../projections/read-models.js';
import { integrationFromDb } from '../projections/row-sql.js';

/** What `/api/integrations` shows of an integration: never credentials. */
export interface IntegrationResource {
  id: string;
  provider: string;
  kind: string;
  profileName: string;
  status: 'connected' | 'disconnected';
  config: Record<string, unknown>;
  settings: Record<string, unknown>;
  hasCredentials: boolean;
  connectedAt: string | null;
  disconnectedAt: string | null;
  createdAt: string;
  updatedAt: string;
}

export function toResource(row: Omit<IntegrationRow, 'version' | 'position' | 'workspaceId'>) {
  const resource: IntegrationResource = {
    id: row.id,
    provider: row.provider,
    kind: row.kind,
    profileName: row.profileName,
    status: row.status,
    config: row.config,
    settings: row.settings as unknown as Record<string, unknown>,
    hasCredentials: row.hasCredentials,
    connectedAt: row.connectedAt,
    disconnectedAt: row.disconnectedAt,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
  return resource;
}

/** Reads of the `gateway.integrations` projection, always scoped by the caller's workspace. */
@Injectable()
export class IntegrationReadModel {
  constructor(@Inject(DATA_SOURCE) private readonly dataSource: DataSource) {}

  async list(
    workspaceId: string,
    status: 'connected' | 'disconnected' | 'all',
  ): Promise<IntegrationResource[]> {
    const rows = await this.dataSource.query(
      `SELECT * FROM gateway.integrations
        WHERE workspace_id = $1 AND ($2 = 'all' OR status = $2)
        ORDER BY provider, created_at, id`,
      [workspaceId, status],
    );
    return rows.map((r: Record<string, unknown>) => toResource(integrationFromDb(r)));
  }

  async byId(workspaceId: string, id: string): Promise<IntegrationResource | undefined> {
    if (!isUuid(id)) return undefined;
    const rows = await this.dataSource.query(
      `SELECT * FROM gateway.integrations WHERE workspace_id = $1 AND id = $2`,
      [workspaceId, id],
    );
    return rows[0] ? toResource(integrationFromDb(rows[0])) : undefined;
  }

  /** The workspace's integration of a provider (the one `/api` connects), newest first. */
  async byProvider(
    workspaceId: string,
    provider: string,
  ): Promise<IntegrationResource | undefined> {
    const rows = await this.dataSource.query(
      `SELECT * FROM gateway.integrations WHERE workspace_id = $1 AND provider = $2
        ORDER BY (status = 'connected') DESC, updated_at DESC LIMIT 1`,
      [workspaceId, provider],
    );
    return rows[0] ? toResource(integrationFromDb(rows[0])) : undefined;
  }
}
