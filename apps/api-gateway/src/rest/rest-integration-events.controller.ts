import { Get, Inject, Param, Query, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { Auth, RequirePermission, type AuthContext } from '../auth/index.js';
import { AuditLogReader, AuditProjection, type AuditEntryView } from '../audit/index.js';
import { encodeCursor } from './cursor.js';
import { JSONAPI_VERSION, JsonApiError } from './jsonapi.js';
import { RestOperation } from './openapi.js';
import { parsePageRequest } from './page-request.js';
import { RestIntegrationsApi } from './rest-controller.js';
import { linksOf, READ, RestIntegrationAccess } from './rest-integration-access.js';
import { CURSOR_SECRET } from './tokens.js';

export const EVENT_TYPE = 'integration_event';
/** How long a read waits for the audit log to show what this replica already shows. */
const CATCH_UP_MS = 2_000;

/**
 * In the Snyk REST API's style: an integration's history (the audit log's entries about it) as a JSON:API
 * collection, oldest first, with the same `version`, cursor pagination and error rules as the
 * integrations list. A cursor holds an entry's keyset position (time, log position) and id,
 * signed and bound to the org like every /rest cursor.
 */
@RestIntegrationsApi()
export class RestIntegrationEventsController {
  constructor(
    @Inject(RestIntegrationAccess) private readonly access: RestIntegrationAccess,
    @Inject(AuditLogReader) private readonly reader: AuditLogReader,
    @Inject(AuditProjection) private readonly projection: AuditProjection,
    @Inject(CURSOR_SECRET) private readonly cursorSecret: Buffer,
  ) {}

  @Get(':integration_id/events')
  @RequirePermission(READ)
  @RestOperation({
    summary: "List an integration's events (its audit trail)",
    description:
      'Oldest first: connected, disconnected, settings_updated, credentials_rotated, ... with ' +
      'the actor, the fields that changed (never credentials), the cause and what it caused ' +
      '(e.g. the rules a disconnect disabled). Cursor pagination: follow links.next / links.prev.',
    permission: READ,
    integrationId: true,
    paged: true,
  })
  async list(
    @Req() request: FastifyRequest,
    @Auth() auth: AuthContext,
    @Param('org_id') orgId: string,
    @Param('integration_id') integrationId: string,
    @Query() query: Record<string, unknown>,
  ) {
    await this.access.existing(orgId, integrationId, auth);
    const parsed = parsePageRequest(query, orgId, this.cursorSecret);
    if (!parsed.ok) {
      const { parameter, code, detail } = parsed.problem;
      throw JsonApiError.of(400, code, detail, { parameter });
    }
    const { page } = parsed;
    const backwards = page.before !== undefined;
    const key = page.after ?? page.before;
    await this.projection.catchUp(CATCH_UP_MS);
    const result = await this.reader.page(
      orgId,
      { resourceTypes: ['integration'], resourceId: integrationId },
      {
        order: backwards ? 'desc' : 'asc',
        limit: page.limit,
        ...(key ? { after: `${key.position.padStart(36, '0')}${key.id}` } : {}),
      },
    );
    const shown = result.entries.map((entry, i) => ({ entry, key: result.keys[i]! }));
    if (backwards) shown.reverse();
    const links = linksOf(request, orgId);
    const path = `/rest/orgs/${orgId}/integrations/${integrationId}/events`;
    const url = (extra: Record<string, string>) =>
      `${path}?${new URLSearchParams({ version: links.version, limit: String(page.limit), ...extra })}`;
    const cursorOf = ({ entry, key }: (typeof shown)[number]) =>
      encodeCursor({ orgId, position: key.slice(0, 36), id: entry.id }, this.cursorSecret);
    const first = shown[0];
    const last = shown.at(-1);
    const hasNext = backwards ? true : result.hasMore;
    const hasPrev = backwards ? result.hasMore : key !== undefined;
    const self: Record<string, string> = {};
    if (page.after) self.starting_after = String(query.starting_after);
    if (page.before) self.ending_before = String(query.ending_before);
    return {
      jsonapi: JSONAPI_VERSION,
      data: shown.map(({ entry }) => eventResource(entry)),
      links: {
        self: url(self),
        first: url({}),
        ...(hasNext && last ? { next: url({ starting_after: cursorOf(last) }) } : {}),
        ...(hasPrev && first ? { prev: url({ ending_before: cursorOf(first) }) } : {}),
      },
    };
  }
}

/** An entry as a JSON:API resource: snake_case attributes, as the rest of /rest. */
function eventResource(entry: AuditEntryView) {
  const actor =
    entry.actor.type === 'member'
      ? {
          type: 'member',
          id: entry.actor.id,
          email: entry.actor.email,
          api_key: entry.actor.apiKey,
        }
      : entry.actor;
  const cause =
    entry.cause && 'resource' in entry.cause
      ? {
          id: entry.cause.id,
          action: entry.cause.action,
          occurred_at: entry.cause.occurredAt,
          resource: entry.cause.resource,
        }
      : entry.cause && 'deliveryId' in entry.cause
        ? { type: entry.cause.type, delivery_id: entry.cause.deliveryId }
        : entry.cause;
  return {
    id: entry.id,
    type: EVENT_TYPE,
    attributes: {
      action: entry.action,
      occurred_at: entry.occurredAt,
      actor,
      changes: entry.changes,
      cause,
      effects: entry.effects,
      correlation_id: entry.correlationId,
    },
  };
}
