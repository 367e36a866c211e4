import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { createEnvelope, type Envelope, type Reply } from '#libs/contracts/src/index.js';
import { BusRequestError, type Bus } from '#libs/messaging/src/index.js';
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

export interface CommandResult<T> {
  value: T;
  /** Log position of the last event the command appended, for read-your-writes. */
  position?: string;
}

/**
 * Sends a command or query to its owning service over NATS request/reply and gives back the
 * service's `Reply<T>`, bounded by BUS_TIMEOUT_MS (default 5000).
 *
 * Why the bus client (`Bus.request`) rather than a Nest ClientProxy: a request to a subject
 * nobody listens on fails at once with "no responders" (503 in a millisecond instead of a 5 s
 * hang), it reuses the service's one connection, and it skips the observable plumbing on the
 * hot path. The bus client writes the frame Nest's NATS server expects, so `@MessagePattern`
 * handlers answer.
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

  /** The service's answer as it gave it; throws BusUnavailableError, or internal if it broke. */
  async request<T>(
    subject: string,
    data: unknown,
    context: CommandContext,
    timeoutMs = this.timeoutMs,
  ): Promise<Reply<T>> {
    try {
      return await this.bus.request<T>(subject, this.envelope(subject, data, context), timeoutMs);
    } catch (error) {
      if (!(error instanceof BusRequestError)) throw error;
      if (error.reason === 'too_large') {
        // A request the bus cannot carry is the caller's to shrink (413), not an outage (503).
        const { bytes, limit } = error.detail as { bytes: number; limit: number };
        throw new ApiError(
          'payload_too_large',
          'request_too_large',
          `the request is ${bytes} bytes once addressed to the service; at most ${limit} fit in one bus message`,
          { limitBytes: limit, bytes },
        );
      }
      if (error.reason === 'handler_failed' || error.reason === 'malformed') {
        this.logger.error(
          { subject, err: error.detail },
          error.reason === 'malformed'
            ? 'the service answered something that is not a Reply'
            : 'the service failed to handle a request',
        );
        throw new ApiError('internal', 'internal', 'the service behind this endpoint failed');
      }
      this.logger.warn({ subject, reason: error.reason, err: error.detail }, 'bus request failed');
      throw new BusUnavailableError(subject, error.reason, error.reason === 'timeout' ? 5 : 2);
    }
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
