import {
  Inject,
  Injectable,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import { Observable, tap } from 'rxjs';
import type { Logger } from 'pino';
import { isEnvelope } from '#libs/contracts/src/index.js';
import { withCorrelation } from '#libs/logging/src/index.js';
import { LOGGER } from './tokens.js';

/**
 * Carries the envelope's correlation id into every log line written while a bus message is
 * handled, and logs each handled message at debug level, so one request can be followed across
 * services by its id. HTTP requests get theirs from a Fastify hook in `startService`.
 */
@Injectable()
export class RpcCorrelationInterceptor implements NestInterceptor {
  constructor(@Inject(LOGGER) private readonly logger: Logger) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'rpc') return next.handle();
    const data = context.switchToRpc().getData();
    if (!isEnvelope(data)) return next.handle();
    const started = performance.now();
    return new Observable((subscriber) =>
      withCorrelation({ correlationId: data.correlationId, workspaceId: data.workspaceId }, () =>
        next
          .handle()
          .pipe(
            tap((reply: unknown) =>
              this.logger.debug(
                {
                  message: data.type,
                  ok: (reply as { ok?: boolean } | undefined)?.ok,
                  ms: Math.round(performance.now() - started),
                },
                'bus message handled',
              ),
            ),
          )
          .subscribe(subscriber),
      ),
    );
  }
}
