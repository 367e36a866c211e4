import { Inject, Injectable } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { DATA_SOURCE } from '#libs/service-kit/src/index.js';
import type { RestIntegration, RestLinks } from './integration-documents.js';
import type { PageRequest } from './page-request.js';

/** One listed integration: its keyset position and its JSON:API resource object as text. */
export interface ListedIntegration {
  id: string;
  listPosition: string;
  resource: string;
}

export interface IntegrationPage {
  rows: ListedIntegration[];
  hasNext: boolean;
  hasPrev: boolean;
}

interface PageRow {
  id: string;
  list_key: string;
  resource: string;
}

const toPageRow = (r: PageRow): ListedIntegration => ({
  id: r.id,
  listPosition: r.list_key,
  resource: r.resource,
});

/**
 * `integrationResource` in SQL. `prefix` is `/rest/orgs/<org>/integrations/`, `query` the
 * `?version=...` every link keeps; both are bound parameters, and json_build_object escapes.
 */
const resourceSql = (prefix: string, query: string) => `json_build_object(
    'id', id,
    'type', 'integration',
    'attributes', json_build_object(
      'integration_type', provider,
      'profile_name', profile_name,
      'status', status,
      'created_at', ${isoValue('created_at')},
      'updated_at', ${isoValue('updated_at')}),
    'relationships', json_build_object('settings', json_build_object('links',
      json_build_object('related', ${prefix}::text || id || '/settings' || ${query}::text))),
    'links', json_build_object('self', ${prefix}::text || id || ${query}::text)
  )::text AS resource`;

export interface DeletionSummary {
  orphanedTargets: number;
  deletedIntegrations: {
    id: string;
    integrationType: string;
    orphanedTargets: number;
    deletedAt: string;
  }[];
}

/** ISO 8601 in UTC, formatted by Postgres: a list page then parses no dates at all. */
const isoValue = (column: string) =>
  `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
const iso = (column: string, alias = column) => `${isoValue(column)} AS "${alias}"`;

// `list_key`, not `list_position`: ORDER BY would sort by the alias, i.e. the text (10 before 9).
const COLUMNS = `
  id, workspace_id, provider, kind, profile_name, status, settings,
  ${iso('created_at')}, ${iso('updated_at')}, list_position::text AS list_key`;

interface Row {
  id: string;
  workspace_id: string;
  provider: string;
  kind: string;
  profile_name: string;
  status: string;
  settings: RestIntegration['settings'];
  created_at: string;
  updated_at: string;
  list_key: string;
}

/**
 * Reads org integrations from the gateway's integration read model. Lists page by keyset on
 * (list_position, id), the order the gateway first saw each integration in: a page costs one
 * index range scan however deep the cursor is, and integrations added while a client pages land
 * after every existing one, so no page shifts under the client.
 */
@Injectable()
export class RestIntegrationsStore {
  constructor(@Inject(DATA_SOURCE) private readonly dataSource: DataSource) {}

  async find(orgId: string, integrationId: string): Promise<RestIntegration | undefined> {
    const rows: Row[] = await this.dataSource.query(
      `SELECT ${COLUMNS} FROM gateway.integrations WHERE workspace_id = $1 AND id = $2`,
      [orgId, integrationId],
    );
    return rows[0] && toIntegration(rows[0]);
  }

  /**
   * One page of an org's list. Each resource comes back from Postgres already rendered as
   * JSON:API text (`resourceSql`), so a page of 100 costs Node no object building, date parsing
   * or JSON serialisation; the same shape as `integrationResource` (a test compares the two).
   */
  async page(orgId: string, page: PageRequest, links: RestLinks): Promise<IntegrationPage> {
    const fetch = page.limit + 1;
    const select = `SELECT id, list_position::text AS list_key, ${resourceSql('$2', '$3')}
      FROM gateway.integrations`;
    const base = [orgId, links.integrationPrefix, links.query];
    if (page.before) {
      const rows: PageRow[] = await this.dataSource.query(
        `${select} WHERE workspace_id = $1 AND (list_position, id) < ($4::bigint, $5::uuid)
          ORDER BY list_position DESC, id DESC LIMIT $6`,
        [...base, page.before.position, page.before.id, fetch],
      );
      const hasPrev = rows.length > page.limit;
      const hasNext = await this.exists(orgId, '>=', page.before.position, page.before.id);
      return { rows: rows.slice(0, page.limit).reverse().map(toPageRow), hasNext, hasPrev };
    }
    const after = page.after;
    const rows: PageRow[] = after
      ? await this.dataSource.query(
          `${select} WHERE workspace_id = $1 AND (list_position, id) > ($4::bigint, $5::uuid)
            ORDER BY list_position, id LIMIT $6`,
          [...base, after.position, after.id, fetch],
        )
      : await this.dataSource.query(
          `${select} WHERE workspace_id = $1 ORDER BY list_position, id LIMIT $4`,
          [...base, fetch],
        );
    const hasNext = rows.length > page.limit;
    const hasPrev = after ? await this.exists(orgId, '<=', after.position, after.id) : false;
    return { rows: rows.slice(0, page.limit).map(toPageRow), hasNext, hasPrev };
  }

  /** Whether any integration lies on one side of a key: one index probe. */
  private async exists(orgId: string, side: '<=' | '>=', position: string, id: string) {
    const rows: unknown[] = await this.dataSource.query(
      `SELECT 1 FROM gateway.integrations
        WHERE workspace_id = $1 AND (list_position, id) ${side} ($2::bigint, $3::uuid) LIMIT 1`,
      [orgId, position, id],
    );
    return rows.length > 0;
  }

  /** What hard deletions in the org orphaned: the total, and the most recent ones; one query. */
  async deletions(orgId: string, recent = 10): Promise<DeletionSummary> {
    const [row]: { total: string; recent: DeletionSummary['deletedIntegrations'] }[] =
      await this.dataSource.query(
        `SELECT coalesce(sum(orphaned_targets), 0)::text AS total,
           coalesce((SELECT json_agg(r) FROM (
             SELECT integration_id AS "id", integration_type AS "integrationType",
               orphaned_targets AS "orphanedTargets", ${iso('deleted_at', 'deletedAt')}
               FROM gateway.rest_deleted_integrations WHERE workspace_id = $1
              ORDER BY rest_deleted_integrations.deleted_at DESC LIMIT $2) r), '[]') AS recent
           FROM gateway.rest_deleted_integrations WHERE workspace_id = $1`,
        [orgId, recent],
      );
    return {
      orphanedTargets: Number(row?.total ?? 0),
      deletedIntegrations: row?.recent ?? [],
    };
  }
}

function toIntegration(row: Row): RestIntegration {
  return {
    id: row.id,
    orgId: row.workspace_id,
    integrationType: row.provider,
    kind: row.kind,
    profileName: row.profile_name,
    status: row.status,
    settings: row.settings,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    listPosition: row.list_key,
  };
}
