import {
  Inject,
  Injectable,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import type { NatsContext } from '@nestjs/microservices';
import { context as otel, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { Observable, tap } from 'rxjs';
import type { Logger } from 'pino';
import { isEnvelope } from '#libs/contracts/src/index.js';
import { withCorrelation } from '#libs/logging/src/index.js';
import { contextFromHeaders, tracer } from '#libs/observability/src/trace-context.js';
import { LOGGER } from './tokens.js';

/**
 * Carries the envelope's correlation id into every log line written while a bus message is
 * handled, and logs each handled message at debug level, so one request can be followed across
 * services by its id. HTTP requests get theirs from a Fastify hook in `startService`.
 *
 * The handler runs in a server span that continues the trace the caller's bus client put in the
 * message's headers, so its database statements join the caller's trace.
 */
@Injectable()
export class RpcCorrelationInterceptor implements NestInterceptor {
  constructor(@Inject(LOGGER) private readonly logger: Logger) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'rpc') return next.handle();
    const data = context.switchToRpc().getData();
    if (!isEnvelope(data)) return next.handle();
    const started = performance.now();
    const rpc = context.switchToRpc().getContext<NatsContext>();
    const parent = contextFromHeaders(rpc?.getHeaders?.());
    const span = tracer.startSpan(
      `${data.type} process`,
      {
        kind: SpanKind.SERVER,
        attributes: {
          'messaging.system': 'nats',
          'messaging.destination.name': rpc?.getSubject?.() ?? data.type,
          'messaging.operation.type': 'process',
        },
      },
      parent,
    );
    const active = trace.setSpan(parent, span);
    return new Observable((subscriber) =>
      withCorrelation({ correlationId: data.correlationId, workspaceId: data.workspaceId }, () =>
        otel.with(active, () =>
          next
            .handle()
            .pipe(
              tap({
                next: (reply: unknown) => {
                  const ok = (reply as { ok?: boolean } | undefined)?.ok;
                  if (ok === false) span.setStatus({ code: SpanStatusCode.ERROR });
                  this.logger.debug(
                    { message: data.type, ok, ms: Math.round(performance.now() - started) },
                    'bus message handled',
                  );
                },
                error: (error: unknown) => {
                  span.recordException(error as Error);
                  span.setStatus({ code: SpanStatusCode.ERROR });
                },
                finalize: () => span.end(),
              }),
            )
            .subscribe(subscriber),
        ),
      ),
    );
  }
}
