import { randomUUID } from 'node:crypto';
import { errors, type NatsConnection } from '@nats-io/transport-node';
import type { Envelope, Reply } from '#libs/contracts/src/index.js';

/** Nobody answered in time, nobody listens, or the bus is gone. */
export class BusRequestError extends Error {
  constructor(
    readonly subject: string,
    readonly reason: 'timeout' | 'no_responders' | 'disconnected',
  ) {
    super(`no answer on ${subject} (${reason})`);
    this.name = 'BusRequestError';
  }
}

/**
 * One request to a service's `@MessagePattern` handler over NATS: Nest's frame
 * (`{ pattern, data, id }` in, `{ response | err }` out) around the shared envelope, answered as
 * the service's `Reply<T>`. A handler that threw answers an `internal` reply.
 */
export async function requestReply<T>(
  nc: NatsConnection,
  subject: string,
  envelope: Envelope,
  timeoutMs: number,
): Promise<Reply<T>> {
  const frame = JSON.stringify({ pattern: subject, data: envelope, id: randomUUID() });
  let raw: { response?: Reply<T>; err?: unknown } & Partial<Reply<T>>;
  try {
    raw = (await nc.request(subject, frame, { timeout: timeoutMs })).json();
  } catch (error) {
    throw new BusRequestError(
      subject,
      error instanceof errors.NoRespondersError ||
        (error instanceof errors.RequestError && error.isNoResponders())
        ? 'no_responders'
        : error instanceof errors.TimeoutError
          ? 'timeout'
          : 'disconnected',
    );
  }
  if (raw && typeof raw === 'object' && 'ok' in raw) return raw as Reply<T>;
  if (raw?.response && typeof raw.response === 'object' && 'ok' in raw.response) {
    return raw.response;
  }
  return {
    ok: false,
    error: { kind: 'internal', code: 'internal', message: `the service behind ${subject} failed` },
  };
}
