/**
 * The Snyk REST API (versioned, JSON:API) under `/rest/orgs/{org_id}/integrations`.
 *
 * - `version` (required): resolved against `api-versions.ts` (data) by `version-resolution.ts`;
 *   the response names the served version and any deprecation/sunset.
 * - JSON:API in and out (`media-type.ts`, `jsonapi.ts`); errors as an `errors` array through
 *   `JsonApiExceptionFilter`, scoped to the REST controller.
 * - Lists page by keyset on (list_position, id) with HMAC-signed opaque cursors (`cursor.ts`).
 * - Reads from the gateway's integration read model; writes over the bus, answered once the read
 *   model shows them.
 */
export * from './rest.module.js';
export * from './rest.migration.js';
export * from './rest.config.js';
export { DropStoredCursorSecret1764000019500 } from './cursor-secret.js';
