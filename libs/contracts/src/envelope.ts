import { randomUUID } from 'node:crypto';

/**
 * The one envelope every message on the bus travels in: commands, queries, replies' causes and
 * events alike. `causationId` is the id of the message that caused this one; `correlationId` stays
 * the same across a whole chain, from the HTTP request that started it.
 */
export interface Envelope<TType extends string = string, TData = unknown> {
  id: string;
  type: TType;
  schemaVersion: number;
  occurredAt: string;
  workspaceId: string | null;
  correlationId: string;
  causationId: string | null;
  /** Who asked: a member id, `system`, `admin-cli`, or `github-webhook`. */
  actor?: string;
  /** The API key (its id) the member asked with; absent for other actors. */
  actorKeyId?: string;
  /** The same key gives the same answer and appends nothing new. */
  idempotencyKey?: string;
  /** Events only: where the event sits in its source's log (a bigint as a string) and stream. */
  position?: string;
  streamId?: string;
  streamVersion?: number;
  data: TData;
}

export interface EnvelopeInit<TType extends string, TData> {
  type: TType;
  data: TData;
  workspaceId: string | null;
  schemaVersion?: number;
  correlationId?: string;
  causationId?: string | null;
  actor?: string;
  actorKeyId?: string;
  idempotencyKey?: string;
  id?: string;
  occurredAt?: string;
}

export function createEnvelope<TType extends string, TData>(
  init: EnvelopeInit<TType, TData>,
): Envelope<TType, TData> {
  const id = init.id ?? randomUUID();
  return {
    id,
    type: init.type,
    schemaVersion: init.schemaVersion ?? 1,
    occurredAt: init.occurredAt ?? new Date().toISOString(),
    workspaceId: init.workspaceId,
    correlationId: init.correlationId ?? id,
    causationId: init.causationId ?? null,
    ...(init.actor === undefined ? {} : { actor: init.actor }),
    ...(init.actorKeyId === undefined ? {} : { actorKeyId: init.actorKeyId }),
    ...(init.idempotencyKey === undefined ? {} : { idempotencyKey: init.idempotencyKey }),
    data: init.data,
  };
}

/** A message caused by `cause`: same correlation, causation pointing at it. */
export function envelopeCausedBy<TType extends string, TData>(
  cause: Pick<Envelope, 'id' | 'correlationId' | 'workspaceId' | 'actor' | 'actorKeyId'>,
  init: Omit<EnvelopeInit<TType, TData>, 'correlationId' | 'causationId' | 'workspaceId'> & {
    workspaceId?: string | null;
  },
): Envelope<TType, TData> {
  return createEnvelope({
    ...init,
    workspaceId: init.workspaceId === undefined ? cause.workspaceId : init.workspaceId,
    correlationId: cause.correlationId,
    causationId: cause.id,
    actor: init.actor ?? cause.actor,
    ...(init.actor === undefined && cause.actorKeyId !== undefined
      ? { actorKeyId: cause.actorKeyId }
      : {}),
  });
}

export function isEnvelope(value: unknown): value is Envelope {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v.id === 'string' &&
    typeof v.type === 'string' &&
    typeof v.schemaVersion === 'number' &&
    typeof v.correlationId === 'string' &&
    'data' in v
  );
}
