/**
 * Commands and queries from the gateway to the owning services, over NATS request/reply.
 *
 * - `CommandBus.request<T>(subject, data, context)` wraps `data` in an Envelope (correlationId =
 *   HTTP request id, workspaceId, actor = member id, idempotencyKey = `Idempotency-Key` header)
 *   and returns the service's `Reply<T>`. `CommandBus.call<T>(...)` returns `{ value, position }`
 *   or throws the reply's error as an `ApiError` (kind -> HTTP status).
 * - Bounded by BUS_TIMEOUT_MS (default 5000). Timeout, no responders or no connection throw
 *   `BusUnavailableError` (an `ApiError` of kind `unavailable`): 503 with `Retry-After`.
 * - `commandContextOf(request, auth)` builds the context from a Fastify request and `@Auth()`;
 *   it validates `Idempotency-Key` (1..255 visible ASCII, else 400).
 * - Import `BusModule` in each feature module that sends commands; handlers on the other side
 *   are plain `@MessagePattern(subject)`.
 */
export * from './command-context.js';
export * from './command-bus.js';
export * from './bus.module.js';
