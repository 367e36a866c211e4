import { z } from 'zod';
import { ApiError } from '../errors/api-error.js';
import { RESOURCE_TYPES, sortKeyAt, type ResourceType } from './audit-entry.js';

export const DEFAULT_PAGE = 50;
export const MAX_PAGE = 100;

const SORT_KEY = /^\d{36}[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A cursor is the sort key of the last entry a page showed, base64url: opaque to clients. */
export function encodeAuditCursor(sortKey: string): string {
  return Buffer.from(sortKey).toString('base64url');
}

function decodeAuditCursor(cursor: string): string | undefined {
  const key = Buffer.from(cursor, 'base64url').toString('utf8');
  return SORT_KEY.test(key) ? key : undefined;
}

const order = z.enum(['asc', 'desc'], { message: 'must be asc (oldest first) or desc' });
const limit = z.coerce
  .number({ message: `must be an integer from 1 to ${MAX_PAGE}` })
  .int(`must be an integer from 1 to ${MAX_PAGE}`)
  .min(1, `must be an integer from 1 to ${MAX_PAGE}`)
  .max(MAX_PAGE, `must be an integer from 1 to ${MAX_PAGE}`)
  .default(DEFAULT_PAGE);
const cursor = z
  .string()
  .max(200)
  .transform((value, ctx) => {
    const key = decodeAuditCursor(value);
    if (!key) {
      ctx.addIssue({ code: 'custom', message: 'not a cursor this API gave out' });
      return z.NEVER;
    }
    return key;
  })
  .optional();
const instant = z.iso
  .datetime({ offset: true, message: 'must be an ISO 8601 date-time, e.g. 2026-01-31T00:00:00Z' })
  .transform((value) => new Date(value));

/** `GET /api/integrations/:id/history` and `/api/rules/:id/history`: oldest first by default. */
export const HistoryQuery = z.strictObject({
  order: order.default('asc'),
  limit,
  cursor,
});

/** `GET /api/audit-log`: newest first by default, filtered. */
export const AuditLogQuery = z
  .strictObject({
    order: order.default('desc'),
    limit,
    cursor,
    resource_type: z
      .enum(RESOURCE_TYPES, { message: `must be one of ${RESOURCE_TYPES.join(', ')}` })
      .optional(),
    resource_id: z.string().trim().min(1).max(200).optional(),
    actor: z.string().trim().min(1).max(200).optional(),
    action: z
      .string()
      .regex(/^[a-z_]{1,64}$/, 'must be an action name such as disconnected or rule_disabled')
      .optional(),
    from: instant.optional(),
    to: instant.optional(),
  })
  .superRefine((q, ctx) => {
    if (q.from && q.to && q.from >= q.to) {
      ctx.addIssue({ code: 'custom', path: ['to'], message: 'must be after from' });
    }
  });

/** What a page of the audit log shows: filters, then where to start and in which order. */
export interface AuditFilter {
  resourceTypes?: ResourceType[];
  resourceId?: string;
  actor?: string;
  action?: string;
  /** Sort-key bounds: from (inclusive), to (exclusive). */
  fromKey?: string;
  toKey?: string;
}

export interface AuditPage {
  order: 'asc' | 'desc';
  limit: number;
  /** Sort key of the last entry already shown. */
  after?: string;
}

export function auditFilterOf(query: z.infer<typeof AuditLogQuery>): AuditFilter {
  return {
    ...(query.resource_type ? { resourceTypes: [query.resource_type] } : {}),
    ...(query.resource_id ? { resourceId: query.resource_id } : {}),
    ...(query.actor ? { actor: query.actor } : {}),
    ...(query.action ? { action: query.action } : {}),
    ...(query.from ? { fromKey: sortKeyAt(query.from) } : {}),
    ...(query.to ? { toKey: sortKeyAt(query.to) } : {}),
  };
}

export function pageOf(query: {
  order: 'asc' | 'desc';
  limit: number;
  cursor?: string;
}): AuditPage {
  return {
    order: query.order,
    limit: query.limit,
    ...(query.cursor ? { after: query.cursor } : {}),
  };
}

export function notFound(type: string, id: string): ApiError {
  return new ApiError('not_found', `${type}_not_found`, `no ${type} ${id}`);
}
