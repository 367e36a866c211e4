import type { ErrorKind, FieldIssue, ReplyError } from '#libs/contracts/src/index.js';

/** The kinds an HTTP answer can carry: the bus's kinds plus what only HTTP knows about. */
export type ApiErrorKind =
  | ErrorKind
  | 'unauthorized'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'malformed'
  | 'rate_limited';

const STATUS: Record<ApiErrorKind, number> = {
  validation: 400,
  malformed: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  internal: 500,
  unavailable: 503,
};

/**
 * An error the gateway answers on purpose: a kind (which fixes the HTTP status), a stable
 * machine-readable code, a message for people and optional details (one entry per field for
 * validation). Thrown from guards, pipes and controllers; each API's filter renders it in its
 * own format (`/api`: `{ error: { code, message, details } }`, `/rest`: JSON:API).
 */
export class ApiError extends Error {
  constructor(
    readonly kind: ApiErrorKind,
    readonly code: string,
    message: string,
    readonly details?: FieldIssue[] | Record<string, unknown>,
    /** Seconds a client should wait before retrying (429, 503). */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  get status(): number {
    return STATUS[this.kind];
  }

  /** `Retry-After` in seconds for the kinds that promise one (429, 503), else undefined. */
  get retryAfter(): number | undefined {
    if (this.kind === 'unavailable') return this.retryAfterSeconds ?? 5;
    if (this.kind === 'rate_limited') return this.retryAfterSeconds ?? 1;
    return undefined;
  }

  static fromReply(error: ReplyError): ApiError {
    return new ApiError(error.kind, error.code, error.message, error.details);
  }

  static validation(issues: FieldIssue[], message = 'the request is invalid'): ApiError {
    return new ApiError('validation', 'validation_failed', message, issues);
  }
}

export function statusOfKind(kind: ApiErrorKind): number {
  return STATUS[kind];
}
