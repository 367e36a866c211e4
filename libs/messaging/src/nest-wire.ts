import { randomUUID } from 'node:crypto';
import type { Envelope, Reply } from '#libs/contracts/src/index.js';

/**
 * Nest's NATS transport (`@nestjs/microservices`, ServerNats) frames a request as
 * `{ pattern, data, id }` and answers `{ id, response | err, isDisposed }`. This file is the only
 * place that knows it: the bus client writes requests with it, and test stand-ins answer with it.
 */
export interface NestRequestFrame<TData = unknown> {
  pattern: string;
  data: Envelope<string, TData>;
  id: string;
}

interface NestReplyFrame<T> {
  id?: string;
  response?: Reply<T>;
  err?: unknown;
  isDisposed?: boolean;
}

export function encodeRequest(subject: string, envelope: Envelope): string {
  return JSON.stringify({ pattern: subject, data: envelope, id: randomUUID() });
}

export function decodeRequest<TData = unknown>(body: string): NestRequestFrame<TData> {
  return JSON.parse(body) as NestRequestFrame<TData>;
}

export function encodeReply<T>(request: NestRequestFrame, reply: Reply<T>): string {
  return JSON.stringify({ id: request.id, isDisposed: true, response: reply });
}

/** What a reply frame says: the handler's `Reply`, the error it threw, or something else. */
export type DecodedReply<T> =
  | { kind: 'reply'; reply: Reply<T> }
  | { kind: 'handler_failed'; err: unknown }
  | { kind: 'malformed' };

export function decodeReply<T>(raw: unknown): DecodedReply<T> {
  const frame = raw as (NestReplyFrame<T> & Partial<Reply<T>>) | null;
  if (!frame || typeof frame !== 'object') return { kind: 'malformed' };
  // A responder that answers a bare Reply (not through Nest) is understood too.
  if ('ok' in frame) return { kind: 'reply', reply: frame as Reply<T> };
  if (frame.err !== undefined && frame.err !== null)
    return { kind: 'handler_failed', err: frame.err };
  const response = frame.response;
  if (!response || typeof response !== 'object' || !('ok' in response))
    return { kind: 'malformed' };
  return { kind: 'reply', reply: response };
}
