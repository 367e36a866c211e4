import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { errors } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import { createEnvelope, type Envelope, type Reply } from '#libs/contracts/src/index.js';
import type { Bus } from '#libs/messaging/src/index.js';
import { BUS, LOGGER, SERVICE_CONFIG } from '#libs/service-kit/src/index.js';
import { ApiError } from '../errors/api-error.js';
import type { CommandContext } from './command-context.js';

/** The owning service did not answer in time, or nobody listens: the caller should retry. */
export class BusUnavailableError extends ApiError {
  constructor(
    readonly subject: string,
    reason: 'timeout' | 'no_responders' | 'disconnected',
    retryAfterSeconds: number,
  ) {
    super(
      'unavailable',
      'service_unavailable',
      reason === 'timeout'
        ? 'the service behind this endpoint did not answer in time; retry later'
        : 'the service behind this endpoint is not reachable right now; retry later',
      { subject, reason },
      retryAfterSeconds,
    );
    this.name = 'BusUnavailableError';
  }
}

/** Room a bus message needs beside its body: subject, reply inbox and trace headers. */
const HEADER_ROOM_BYTES = 4 * 1024;

/** Nest's NATS transport frames a request as `{ pattern, data, id }` and answers `{ response | err, id }`. */
interface NestReplyPacket<T> {
  id?: string;
  response?: Reply<T>;
  err?: unknown;
  isDisposed?: boolean;
}

export interface CommandResult<T> {
  value: T;
  /** Log position of the last event the command appended, for read-your-writes. */
  position?: string;
}

/**
 * Sends a command or query to its owning service over NATS request/reply and gives back the
 * service's `Reply<T>`, bounded by BUS_TIMEOUT_MS (default 5000).
 *
 * Why the raw connection (`bus.nc.request`) rather than a Nest ClientProxy: a request to a subject
 * nobody listens on fails at once with "no responders" (503 in a millisecond instead of a 5 s
 * hang), it reuses the service's one connection, and it skips the observable plumbing on the
 * hot path. The frame is the one Nest's NATS server expects, so `@MessagePattern` handlers answer.
 */
@Injectable()
export class CommandBus {
  private readonly timeoutMs: number;

  constructor(
    @Inject(BUS) private readonly bus: Bus,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(SERVICE_CONFIG) config: { BUS_TIMEOUT_MS?: number },
  ) {
    this.timeoutMs = config.BUS_TIMEOUT_MS ?? 5_000;
  }

  envelope<TData>(subject: string, data: TData, context: CommandContext): Envelope<string, TData> {
    return createEnvelope({
      type: subject,
      data,
      workspaceId: context.workspaceId,
      correlationId: context.correlationId,
      actor: context.actor,
      ...(context.actorKeyId === undefined ? {} : { actorKeyId: context.actorKeyId }),
      ...(context.idempotencyKey === undefined ? {} : { idempotencyKey: context.idempotencyKey }),
    });
  }

  /** The service's answer as it gave it; throws only BusUnavailableError. */
  async request<T>(
    subject: string,
    data: unknown,
    context: CommandContext,
    timeoutMs = this.timeoutMs,
  ): Promise<Reply<T>> {
    const envelope = this.envelope(subject, data, context);
    const frame = JSON.stringify({ pattern: subject, data: envelope, id: randomUUID() });
    // A request the bus cannot carry is the caller's to shrink (413), not an outage (503).
    const maxPayload = this.bus.nc.info?.max_payload;
    const bytes = Buffer.byteLength(frame);
    if (maxPayload !== undefined && bytes > maxPayload - HEADER_ROOM_BYTES) {
      throw new ApiError(
        'payload_too_large',
        'request_too_large',
        `the request is ${bytes} bytes once addressed to the service; at most ${maxPayload - HEADER_ROOM_BYTES} fit in one bus message`,
        { limitBytes: maxPayload - HEADER_ROOM_BYTES, bytes },
      );
    }
    let raw: unknown;
    try {
      const msg = await this.bus.nc.request(subject, frame, { timeout: timeoutMs });
      raw = msg.json();
    } catch (error) {
      const reason =
        error instanceof errors.NoRespondersError ||
        (error instanceof errors.RequestError && error.isNoResponders())
          ? 'no_responders'
          : error instanceof errors.TimeoutError
            ? 'timeout'
            : 'disconnected';
      this.logger.warn({ subject, reason, err: error }, 'bus request failed');
      throw new BusUnavailableError(subject, reason, reason === 'timeout' ? 5 : 2);
    }
    return unwrap<T>(subject, raw, this.logger);
  }

  /** The value of a successful reply; a failed one becomes the matching ApiError. */
  async call<T>(
    subject: string,
    data: unknown,
    context: CommandContext,
  ): Promise<CommandResult<T>> {
    const reply = await this.request<T>(subject, data, context);
    if (!reply.ok) throw ApiError.fromReply(reply.error);
    return reply.position === undefined
      ? { value: reply.value }
      : { value: reply.value, position: reply.position };
  }
}

function unwrap<T>(subject: string, raw: unknown, logger: Logger): Reply<T> {
  const packet = raw as NestReplyPacket<T> & Partial<Reply<T>>;
  if (packet && typeof packet === 'object' && 'ok' in packet) return packet as Reply<T>;
  if (packet?.err !== undefined && packet.err !== null) {
    logger.error({ subject, err: packet.err }, 'the service failed to handle a request');
    throw new ApiError('internal', 'internal', 'the service behind this endpoint failed');
  }
  const response = packet?.response;
  if (!response || typeof response !== 'object' || !('ok' in response)) {
    logger.error({ subject }, 'the service answered something that is not a Reply');
    throw new ApiError('internal', 'internal', 'the service behind this endpoint failed');
  }
  return response;
}
