import { Readable } from 'node:stream';
import { Controller, Get, Inject, Param, Query, Req, Res } from '@nestjs/common';
import { ApiOperation, ApiProduces, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { LOGGER } from '#libs/service-kit/src/index.js';
import { Auth, Authenticated, RequireRole, type AuthContext } from '../auth/index.js';
import { validate } from '../http/validate.js';
import { RESOURCE_TYPES, type ResourceType } from './audit-entry.js';
import { AuditLogReader, nextCursorOf } from './audit-log.reader.js';
import {
  AuditLogQuery,
  auditFilterOf,
  HistoryQuery,
  notFound,
  pageOf,
  type AuditFilter,
  type AuditPage,
} from './audit-query.js';
import { AuditProjection } from './audit.projection.js';

/** How long a read waits for the audit log to show changes this replica already shows. */
const CATCH_UP_MS = 2_000;
const NDJSON = 'application/x-ndjson';
/** Entries per query while streaming an export. */
const EXPORT_BATCH = 500;

const PAGE_QUERIES = [
  { name: 'order', required: false, enum: ['asc', 'desc'] },
  { name: 'limit', required: false, example: 50, description: '1..100' },
  { name: 'cursor', required: false, description: 'nextCursor of the previous page' },
] as const;

/**
 * The audit trail over HTTP, read from the audit log projection (`gateway.audit_log`): one
 * resource's history for anyone in the workspace, the whole workspace's log for owners and
 * admins. Another workspace's resources answer 404, as if they did not exist.
 */
@ApiTags('audit')
@Controller('api')
@Authenticated()
export class AuditController {
  constructor(
    @Inject(AuditLogReader) private readonly reader: AuditLogReader,
    @Inject(AuditProjection) private readonly projection: AuditProjection,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  @Get('integrations/:id/history')
  @ApiOperation({
    summary: "An integration's history: who connected, disconnected, changed it, and why",
    description:
      'Oldest first (order=desc: newest first). A disconnect lists the rules it disabled in ' +
      '`effects`; credentials never appear.',
  })
  @ApiQuery(PAGE_QUERIES[0])
  @ApiQuery(PAGE_QUERIES[1])
  @ApiQuery(PAGE_QUERIES[2])
  async integrationHistory(
    @Auth() auth: AuthContext,
    @Param('id') id: string,
    @Query() query: unknown,
  ) {
    return this.history(auth, ['integration'], id, query, 'integration');
  }

  @Get('rules/:id/history')
  @ApiOperation({
    summary: "A rule's or policy's history; a rule_disabled entry links to its cause",
  })
  @ApiQuery(PAGE_QUERIES[0])
  @ApiQuery(PAGE_QUERIES[1])
  @ApiQuery(PAGE_QUERIES[2])
  async ruleHistory(@Auth() auth: AuthContext, @Param('id') id: string, @Query() query: unknown) {
    return this.history(auth, ['rule', 'policy'], id, query, 'rule');
  }

  @Get('audit-log')
  @RequireRole('owner', 'admin')
  @ApiOperation({
    summary: 'Every change in the workspace (owners and admins)',
    description:
      'Integrations, rules and policies, members and API keys, scans started. Newest first ' +
      '(order=asc: oldest first); keyset cursors, so pages stay stable while entries arrive. ' +
      '`Accept: application/x-ndjson` streams every matching entry, one JSON object per line.',
  })
  @ApiProduces('application/json', NDJSON)
  @ApiQuery(PAGE_QUERIES[0])
  @ApiQuery(PAGE_QUERIES[1])
  @ApiQuery(PAGE_QUERIES[2])
  @ApiQuery({ name: 'resource_type', required: false, enum: RESOURCE_TYPES })
  @ApiQuery({ name: 'resource_id', required: false })
  @ApiQuery({ name: 'actor', required: false, description: 'a member id, or github-webhook' })
  @ApiQuery({ name: 'action', required: false, example: 'rule_disabled' })
  @ApiQuery({ name: 'from', required: false, example: '2026-01-01T00:00:00Z' })
  @ApiQuery({ name: 'to', required: false, example: '2026-02-01T00:00:00Z' })
  async auditLog(
    @Auth() auth: AuthContext,
    @Query() query: unknown,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const parsed = validate(AuditLogQuery, query, 'query');
    const filter = auditFilterOf(parsed);
    const page = pageOf(parsed);
    await this.projection.catchUp(CATCH_UP_MS);
    if (wantsNdjson(request)) {
      void reply.header('content-type', NDJSON);
      return Readable.from(this.export(auth.workspaceId, filter, page));
    }
    const result = await this.reader.page(auth.workspaceId, filter, page);
    return { entries: result.entries, nextCursor: nextCursorOf(result) };
  }

  private async history(
    auth: AuthContext,
    types: ResourceType[],
    id: string,
    query: unknown,
    noun: string,
  ) {
    const parsed = validate(HistoryQuery, query, 'query');
    await this.projection.catchUp(CATCH_UP_MS);
    const result = await this.reader.page(
      auth.workspaceId,
      { resourceTypes: types, resourceId: id },
      pageOf(parsed),
    );
    if (result.entries.length === 0 && !(await this.reader.knows(auth.workspaceId, types, id))) {
      throw notFound(noun, id);
    }
    return { entries: result.entries, nextCursor: nextCursorOf(result) };
  }

  /** Every matching entry, one JSON line each, read in keyset batches as the client takes them. */
  private async *export(workspaceId: string, filter: AuditFilter, start: AuditPage) {
    let page: AuditPage = { ...start, limit: EXPORT_BATCH };
    try {
      for (;;) {
        const result = await this.reader.page(workspaceId, filter, page);
        if (result.entries.length > 0) {
          yield result.entries.map((entry) => JSON.stringify(entry)).join('\n') + '\n';
        }
        if (!result.hasMore || !result.lastKey) return;
        page = { ...page, after: result.lastKey };
      }
    } catch (error) {
      // Headers are gone already: the client sees a cut-short body, we see why.
      this.logger.error({ err: error, workspaceId }, 'audit log export failed');
      throw error;
    }
  }
}

function wantsNdjson(request: FastifyRequest): boolean {
  const accept = request.headers.accept ?? '';
  return accept.split(',').some((part) => part.trim().toLowerCase().startsWith(NDJSON));
}
