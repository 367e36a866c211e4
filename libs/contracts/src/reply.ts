/**
 * Every request/reply answer is a `Reply`: services answer typed errors instead of throwing, so
 * the gateway maps each kind to one HTTP status without guessing.
 */
export type ErrorKind =
  | 'validation'
  | 'not_found'
  | 'conflict'
  | 'forbidden'
  /** Over a size limit (`BUS_LIMITS`): the gateway answers 413. */
  | 'payload_too_large'
  | 'unavailable'
  | 'internal';

export interface FieldIssue {
  field: string;
  message: string;
}

export interface ReplyError {
  kind: ErrorKind;
  code: string;
  message: string;
  details?: FieldIssue[] | Record<string, unknown>;
}

/** A refusal: what `fail` makes, what a decider's `decide` answers instead of events. */
export type Failure = { ok: false; error: ReplyError };

export type Reply<T> = { ok: true; value: T; position?: string } | Failure;

export const ok = <T>(value: T, position?: string): Reply<T> =>
  position === undefined ? { ok: true, value } : { ok: true, value, position };

export const fail = (
  kind: ErrorKind,
  code: string,
  message: string,
  details?: ReplyError['details'],
): Failure => ({
  ok: false,
  error: details === undefined ? { kind, code, message } : { kind, code, message, details },
});
