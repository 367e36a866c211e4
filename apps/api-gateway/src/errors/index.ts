/**
 * Errors of the gateway's HTTP APIs.
 *
 * - Throw `new ApiError(kind, code, message, details?)` anywhere in a request (guard, pipe,
 *   controller). `kind` fixes the status: validation/malformed 400, unauthorized 401, forbidden
 *   403, not_found 404, conflict 409, payload_too_large 413, unsupported_media_type 415,
 *   unavailable 503 (+ `Retry-After`), internal 500. `ApiError.fromReply(reply.error)` turns a bus
 *   `Reply` failure into one; `ApiError.validation([{ field, message }])` gives one detail per field.
 * - `toApiError(anything)` normalises Nest HttpExceptions and Fastify body errors (413, 415,
 *   malformed JSON) into an ApiError: a JSON:API filter for `/rest` can reuse it and render its own
 *   format.
 * - `ApiExceptionFilter` (registered globally by `ErrorsModule`) renders `/api` paths only, as
 *   `{ "error": { "code", "message", "details" } }`; other paths keep Nest's default or their own
 *   controller-level filters (`@UseFilters`, which take precedence over the global one).
 */
export * from './api-error.js';
export * from './to-api-error.js';
export * from './render.js';
export * from './api-exception.filter.js';
export * from './errors.module.js';
