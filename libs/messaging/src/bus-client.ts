import { errors, headers as natsHeaders, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, type JetStreamClient, type PubAck } from '@nats-io/jetstream';
import { context, SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import type { Envelope, Reply } from '#libs/contracts/src/index.js';
import {
  contextFromHeaders,
  linkFromHeaders,
  traceFields,
  tracer,
  type HeaderCarrier,
} from '#libs/observability/src/trace-context.js';
import { tracingEnabled } from '#libs/observability/src/tracing-state.js';
import { busRequestDuration, type BusOutcome } from '#libs/observability/src/metrics/bus.js';
import { decodeReply, encodeRequest } from './nest-wire.js';

/** Why a request got no usable answer. */
export type BusFailure =
  | 'timeout'
  | 'no_responders'
  | 'disconnected'
  | 'handler_failed'
  | 'malformed'
  /** Larger than one bus message (the server's `max_payload`): never sent. */
  | 'too_large';

/** Room a bus message needs beside its body: subject, reply inbox and trace headers. */
export const HEADER_ROOM_BYTES = 4 * 1024;

export class BusRequestError extends Error {
  override name = 'BusRequestError';
  constructor(
    readonly subject: string,
    readonly reason: BusFailure,
    /** What the handler threw (handler_failed) or the transport's error. */
    readonly detail?: unknown,
  ) {
    super(`${subject}: ${reason}`);
  }
}

/**
 * The one client every service and test uses to talk on the bus: commands and queries to a
 * Nest `@MessagePattern` handler (Nest's wire format, see nest-wire.ts), and JetStream publishes.
 * Each message carries the W3C trace context (`traceparent`, `tracestate`) of the caller in its
 * headers, so one HTTP request stays one trace across services; round trips are measured by
 * subject and outcome.
 */
export class BusClient {
  readonly js: JetStreamClient;

  constructor(readonly nc: NatsConnection) {
    this.js = jetstream(nc);
  }

  /** Sends `envelope` to `subject` and gives back the handler's Reply; throws only BusRequestError. */
  async request<T>(subject: string, envelope: Envelope, timeoutMs = 5_000): Promise<Reply<T>> {
    const started = performance.now();
    const span = tracer.startSpan(`${subject} send`, {
      kind: SpanKind.CLIENT,
      attributes: {
        'messaging.system': 'nats',
        'messaging.destination.name': subject,
        'messaging.operation.type': 'send',
      },
    });
    let outcome: BusOutcome = 'ok';
    try {
      const headers = withTraceHeaders(trace.setSpan(context.active(), span));
      let raw: unknown;
      const body = encodeRequest(subject, envelope);
      const limit = (this.nc.info?.max_payload ?? Number.POSITIVE_INFINITY) - HEADER_ROOM_BYTES;
      const bytes = Buffer.byteLength(body);
      if (bytes > limit) throw new BusRequestError(subject, 'too_large', { bytes, limit });
      try {
        const msg = await this.nc.request(subject, body, {
          timeout: timeoutMs,
          ...(headers ? { headers } : {}),
        });
        raw = msg.json();
      } catch (error) {
        throw new BusRequestError(subject, transportFailure(error), error);
      }
      const decoded = decodeReply<T>(raw);
      if (decoded.kind === 'handler_failed')
        throw new BusRequestError(subject, 'handler_failed', decoded.err);
      if (decoded.kind === 'malformed') throw new BusRequestError(subject, 'malformed');
      if (!decoded.reply.ok) outcome = decoded.reply.error.kind;
      return decoded.reply;
    } catch (error) {
      outcome = error instanceof BusRequestError ? error.reason : 'disconnected';
      span.setStatus({ code: SpanStatusCode.ERROR, message: outcome });
      throw error;
    } finally {
      span.setAttribute('integrations.outcome', outcome);
      span.end();
      busRequestDuration.observe({ subject, outcome }, (performance.now() - started) / 1000);
    }
  }

  /**
   * Publishes to a JetStream stream, deduplicated on `msgID`. `trace` is the context to carry
   * (stored with an event when it was appended, or with a parked message); by default the active
   * one. `headers` go with it as they are.
   */
  publish(
    subject: string,
    body: string | Uint8Array,
    options: {
      msgID: string;
      timeout?: number;
      trace?: Record<string, string>;
      headers?: Record<string, string>;
    },
  ): Promise<PubAck> {
    const fields = { ...options.headers, ...(options.trace ?? traceFields()) };
    return this.js.publish(subject, body, {
      msgID: options.msgID,
      ...(options.timeout === undefined ? {} : { timeout: options.timeout }),
      ...(Object.keys(fields).length > 0 ? { headers: headersOf(fields) } : {}),
    });
  }
}

function withTraceHeaders(ctx: ReturnType<typeof context.active>) {
  const fields = traceFields(ctx);
  return fields ? headersOf(fields) : undefined;
}

function headersOf(fields: Record<string, string>) {
  const h = natsHeaders();
  for (const [key, value] of Object.entries(fields)) h.set(key, value);
  return h;
}

function transportFailure(error: unknown): BusFailure {
  if (
    error instanceof errors.NoRespondersError ||
    (error instanceof errors.RequestError && error.isNoResponders())
  )
    return 'no_responders';
  if (error instanceof errors.TimeoutError) return 'timeout';
  return 'disconnected';
}

/** Most links one span carries: a batch of hundreds would make a span of mostly links. */
const MAX_LINKS = 32;

/**
 * Runs `work` (applying messages taken from JetStream) in a consumer span linked to the traces
 * the messages carry: the work happens later than, and for more than one, request, so each
 * request's trace points at it as a link rather than owning it. Without tracing it only runs
 * `work`.
 */
export async function withLinksTo<T>(
  name: string,
  messages: readonly { headers?: HeaderCarrier }[],
  work: () => Promise<T>,
): Promise<T> {
  if (!tracingEnabled()) return work();
  const links = messages.slice(-MAX_LINKS).flatMap((m) => linkFromHeaders(m.headers));
  return tracer.startActiveSpan(
    name,
    {
      kind: SpanKind.CONSUMER,
      links,
      attributes: { 'messaging.batch.message_count': messages.length },
    },
    (span) => endingSpan(span, work),
  );
}

/**
 * Runs `work` (handling one message taken from JetStream) in a consumer span that continues the
 * trace its headers carry: one delivery or job, caused by one request. Without tracing it only
 * runs `work`.
 */
export async function withParentFrom<T>(
  name: string,
  headers: HeaderCarrier | undefined,
  work: () => Promise<T>,
): Promise<T> {
  if (!tracingEnabled()) return work();
  return tracer.startActiveSpan(
    name,
    { kind: SpanKind.CONSUMER },
    contextFromHeaders(headers),
    (span) => endingSpan(span, work),
  );
}

/** Runs `work` as `span`'s body: a failure is recorded on the span, which ends either way. */
async function endingSpan<T>(span: Span, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    span.recordException(error as Error);
    span.setStatus({ code: SpanStatusCode.ERROR });
    throw error;
  } finally {
    span.end();
  }
}
