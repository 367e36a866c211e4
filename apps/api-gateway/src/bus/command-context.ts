import type { FastifyRequest } from 'fastify';
import { ApiError } from '../errors/api-error.js';
import type { AuthContext } from '../auth/roles.js';

/** What every command or query the gateway sends carries besides its data. */
export interface CommandContext {
  /** The HTTP request id (`x-correlation-id` if the client sent one). */
  correlationId: string;
  workspaceId: string | null;
  /** A member id, or `system` / `github-webhook` for non-human callers. */
  actor: string;
  /** The API key the member used (its id, never the key). */
  actorKeyId?: string;
  idempotencyKey?: string;
}

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

/** The `Idempotency-Key` header, checked: 1..255 visible ASCII characters, else 400. */
export function idempotencyKeyOf(request: FastifyRequest): string | undefined {
  const raw = request.headers['idempotency-key'];
  if (raw === undefined) return undefined;
  const value = Array.isArray(raw) ? raw[0] : raw;
  if (value === undefined || !IDEMPOTENCY_KEY.test(value)) {
    throw ApiError.validation([
      { field: 'Idempotency-Key', message: 'must be 1 to 255 visible ASCII characters' },
    ]);
  }
  return value;
}

/** The context of an authenticated HTTP request: its id, the caller's workspace and member. */
export function commandContextOf(request: FastifyRequest, auth: AuthContext): CommandContext {
  const idempotencyKey = idempotencyKeyOf(request);
  return {
    correlationId: request.id,
    workspaceId: auth.workspaceId,
    actor: auth.memberId,
    actorKeyId: auth.tokenId,
    ...(idempotencyKey === undefined ? {} : { idempotencyKey }),
  };
}
