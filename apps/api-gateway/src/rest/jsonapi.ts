/**
 * The JSON:API (https://jsonapi.org/format/1.1/) document rules this API relies on, in one place:
 * the media type, error objects, and top-level documents.
 */
export const JSONAPI_MEDIA_TYPE = 'application/vnd.api+json';
export const JSONAPI_VERSION = { version: '1.1' } as const;

export interface ErrorSource {
  /** JSON Pointer (RFC 6901) into the request document. */
  pointer?: string;
  /** The query parameter that caused the error. */
  parameter?: string;
  header?: string;
}

export interface JsonApiErrorObject {
  status: string;
  code: string;
  title: string;
  detail: string;
  source?: ErrorSource;
  meta?: Record<string, unknown>;
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  409: 'Conflict',
  410: 'Gone',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export function errorObject(
  status: number,
  code: string,
  detail: string,
  source?: ErrorSource,
): JsonApiErrorObject {
  return {
    status: String(status),
    code,
    title: TITLES[status] ?? 'Error',
    detail,
    ...(source === undefined ? {} : { source }),
  };
}

/**
 * An error the REST API answers on purpose, already in JSON:API terms. The status of the response
 * is that of the first error (a request gets one status even when it has several problems).
 */
export class JsonApiError extends Error {
  readonly errors: JsonApiErrorObject[];
  constructor(
    readonly status: number,
    errors: JsonApiErrorObject[] | JsonApiErrorObject,
  ) {
    const list = Array.isArray(errors) ? errors : [errors];
    super(list.map((e) => e.detail).join('; '));
    this.name = 'JsonApiError';
    this.errors = list;
  }

  static of(status: number, code: string, detail: string, source?: ErrorSource): JsonApiError {
    return new JsonApiError(status, errorObject(status, code, detail, source));
  }
}

export function errorDocument(errors: JsonApiErrorObject[]) {
  return { jsonapi: JSONAPI_VERSION, errors };
}

/**
 * `credentials.role_arn` -> `/data/attributes/credentials/role_arn` (RFC 6901: `~` and `/` in a
 * name are escaped); `data.id` -> `/data/id`. Names stay as the client wrote them.
 */
export function attributePointer(field: string): string {
  const path = field
    .split('.')
    .filter((part) => part.length > 0)
    .map((part) => part.replace(/~/g, '~0').replace(/\//g, '~1'));
  if (path[0] === 'data') return `/${path.join('/')}`;
  return `/data/attributes/${path.join('/')}`;
}

/** Parses one media type: `type/subtype; a=b` -> { type, params }. */
export function parseMediaType(value: string): { type: string; params: Record<string, string> } {
  const [type, ...rest] = value.split(';');
  const params: Record<string, string> = {};
  for (const part of rest) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    params[part.slice(0, eq).trim().toLowerCase()] = part.slice(eq + 1).trim();
  }
  return { type: type!.trim().toLowerCase(), params };
}

/** JSON:API allows only `ext` and `profile` as media type parameters. */
export function hasOnlyJsonApiParams(params: Record<string, string>): boolean {
  return Object.keys(params).every((name) => name === 'ext' || name === 'profile');
}
