import { Inject, Injectable } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { DATA_SOURCE } from '#libs/service-kit/src/index.js';
import type { RestIntegration, RestLinks } from './integration-documents.js';
import type { PageRequest } from './page-request.js';

/** A list position: what a cursor encodes. */
export interface ListKey {
  position: string;
  id: string;
}

export interface IntegrationPage {
  /** The page's JSON:API resource objects, as JSON text joined by commas, in list order. */
  data: string;
  first?: ListKey;
  last?: ListKey;
  hasNext: boolean;
  hasPrev: boolean;
}

interface PageRow {
  fetched: number;
  other_side: boolean;
  data: string;
  first_position: string | null;
  first_id: string | null;
  last_position: string | null;
  last_id: string | null;
}

const key = (position: string | null, id: string | null): ListKey | undefined =>
  position !== null && id !== null ? { position, id } : undefined;

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
  )::text`;

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
   * One page of an org's list, as one row: Postgres renders each resource as JSON:API text
   * (`resourceSql`) and joins them, so a page of 100 costs Node one string, not 100 rows to
   * parse and objects to build and serialise; the same shape as `integrationResource` (a test
   * compares the two). Fetches one row more than asked to know whether more follow.
   */
  async page(orgId: string, page: PageRequest, links: RestLinks): Promise<IntegrationPage> {
    const base = [orgId, links.integrationPrefix, links.query, page.limit + 1, page.limit];
    const cursor = page.after ?? page.before;
    if (!cursor) {
      const row = await this.slice('ASC', base);
      return { ...row, hasNext: row.fetched > page.limit, hasPrev: false };
    }
    const row = await this.slice(page.after ? 'ASC' : 'DESC', [
      ...base,
      cursor.position,
      cursor.id,
    ]);
    const more = row.fetched > page.limit;
    return page.after
      ? { ...row, hasNext: more, hasPrev: row.otherSide }
      : { ...row, hasNext: row.otherSide, hasPrev: more };
  }

  /**
   * $1 org, $2 link prefix, $3 link query, $4 rows to fetch, $5 rows to show (the nearest to the
   * cursor in `direction`), $6/$7 the cursor's key if any: the page lies past it in `direction`,
   * and `other_side` says whether anything lies on the cursor's other side (one index probe).
   */
  private async slice(direction: 'ASC' | 'DESC', params: unknown[]) {
    const order = `list_position ${direction}, id ${direction}`;
    const hasCursor = params.length > 5;
    const [past, back] = direction === 'ASC' ? ['>', '<='] : ['<', '>='];
    const where = hasCursor ? `AND (list_position, id) ${past} ($6::bigint, $7::uuid)` : '';
    const otherSide = hasCursor
      ? `EXISTS (SELECT 1 FROM gateway.integrations WHERE workspace_id = $1
           AND (list_position, id) ${back} ($6::bigint, $7::uuid))`
      : 'false';
    const shown = 'FILTER (WHERE rn <= $5)';
    const [row]: PageRow[] = await this.dataSource.query(
      `WITH fetched AS (
         SELECT *, row_number() OVER (ORDER BY ${order}) AS rn
           FROM (SELECT id, list_position, provider, profile_name, status, created_at, updated_at
                   FROM gateway.integrations WHERE workspace_id = $1 ${where}
                  ORDER BY ${order} LIMIT $4) AS keyset
       )
       SELECT count(*)::int AS fetched, ${otherSide} AS other_side,
         coalesce(string_agg(${resourceSql('$2', '$3')}, ',' ORDER BY list_position, id) ${shown},
           '') AS data,
         (array_agg(list_position::text ORDER BY list_position, id) ${shown})[1] AS first_position,
         (array_agg(id::text ORDER BY list_position, id) ${shown})[1] AS first_id,
         (array_agg(list_position::text ORDER BY list_position DESC, id DESC) ${shown})[1]
           AS last_position,
         (array_agg(id::text ORDER BY list_position DESC, id DESC) ${shown})[1] AS last_id
       FROM fetched`,
      params,
    );
    const r = row!;
    const first = key(r.first_position, r.first_id);
    const last = key(r.last_position, r.last_id);
    return {
      fetched: r.fetched,
      otherSide: r.other_side,
      data: r.data,
      ...(first ? { first } : {}),
      ...(last ? { last } : {}),
    };
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
