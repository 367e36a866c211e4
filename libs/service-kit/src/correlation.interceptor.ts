import {
  Injectable,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import { Observable } from 'rxjs';
import { isEnvelope } from '#libs/contracts/src/index.js';
import { withCorrelation } from '#libs/logging/src/index.js';

/**
 * Carries the envelope's correlation id into every log line written while a bus message is
 * handled. HTTP requests get theirs from a Fastify hook (see `correlateHttpRequests`).
 */
@Injectable()
export class RpcCorrelationInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'rpc') return next.handle();
    const data = context.switchToRpc().getData();
    if (!isEnvelope(data)) return next.handle();
    return new Observable((subscriber) =>
      withCorrelation({ correlationId: data.correlationId, workspaceId: data.workspaceId }, () =>
        next.handle().subscribe(subscriber),
      ),
    );
  }
}
