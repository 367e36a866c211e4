import { decodeCursor, type CursorKey } from './cursor.js';

export const MIN_LIMIT = 10;
export const MAX_LIMIT = 100;
export const DEFAULT_LIMIT = 10;

/** Which slice of an org's list a request asks for: after a key, before a key, or the first. */
export interface PageRequest {
  limit: number;
  after?: CursorKey;
  before?: CursorKey;
}

export interface PageProblem {
  parameter: 'limit' | 'starting_after' | 'ending_before';
  code: string;
  detail: string;
}

/** Validates `limit`, `starting_after` and `ending_before`. Pure, apart from the secret. */
export function parsePageRequest(
  query: Record<string, unknown>,
  orgId: string,
  secret: Buffer,
): { ok: true; page: PageRequest } | { ok: false; problem: PageProblem } {
  let limit = DEFAULT_LIMIT;
  if (query.limit !== undefined) {
    const raw = query.limit;
    if (typeof raw !== 'string' || !/^\d+$/.test(raw) || +raw < MIN_LIMIT || +raw > MAX_LIMIT) {
      return fail(
        'limit',
        'invalid_limit',
        `limit must be an integer from ${MIN_LIMIT} to ${MAX_LIMIT}.`,
      );
    }
    limit = Number(raw);
  }
  const after = query.starting_after;
  const before = query.ending_before;
  if (after !== undefined && before !== undefined) {
    return fail(
      'ending_before',
      'conflicting_cursors',
      'starting_after and ending_before cannot be used together.',
    );
  }
  for (const [parameter, raw] of [
    ['starting_after', after],
    ['ending_before', before],
  ] as const) {
    if (raw === undefined) continue;
    const key = typeof raw === 'string' ? decodeCursor(raw, secret) : undefined;
    if (!key || key.orgId !== orgId) {
      return fail(
        parameter,
        'invalid_cursor',
        `${parameter} is not a cursor this API issued for this org; use the links of a previous page.`,
      );
    }
    return {
      ok: true,
      page: parameter === 'starting_after' ? { limit, after: key } : { limit, before: key },
    };
  }
  return { ok: true, page: { limit } };
}

function fail(parameter: PageProblem['parameter'], code: string, detail: string) {
  return { ok: false as const, problem: { parameter, code, detail } };
}
