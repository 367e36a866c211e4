import {
  Injectable,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type { Observable } from 'rxjs';
import { JSONAPI_MEDIA_TYPE } from './jsonapi.js';

/** Every successful /rest answer is a JSON:API document, labelled as one. */
@Injectable()
export class JsonApiResponseInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    void context
      .switchToHttp()
      .getResponse<FastifyReply>()
      .header('content-type', JSONAPI_MEDIA_TYPE);
    return next.handle();
  }
}
