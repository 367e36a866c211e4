/**
 * Authentication and authorization for the gateway's HTTP APIs (`/api` and `/rest`).
 *
 * - A workspace has members with a role `owner | admin | member | viewer`. Permissions follow from
 *   the role: `org.integration.read` (everyone), `org.integration.edit` (owner, admin).
 * - API keys: `igw_` + 32 random bytes (base64url), shown once, stored as SHA-256 only, bound to
 *   one member of one workspace, listable without the secret, revocable (`WorkspaceStore`).
 * - `@Authenticated()` on a controller or method: `TokenAuthGuard` reads `Authorization: Token
 *   <key>` or `Bearer <key>` and attaches `request.auth: AuthContext` = `{ workspaceId, memberId,
 *   role, permissions, tokenId }`. Missing, malformed, unknown or revoked key: `ApiError`
 *   `unauthorized` (401).
 * - `@RequireRole('owner', 'admin')` and `@RequirePermission('org.integration.edit')` imply
 *   `@Authenticated()` and throw `ApiError` `forbidden` (403) naming what is needed.
 * - `@Auth() auth: AuthContext` in a handler, or `authOf(request)`, reads the caller.
 * - Lookups are cached per replica for 5 s (hits skip Postgres); a revoke or member removal
 *   forgets at once here and on every other replica (`gateway.auth.invalidated` on core NATS).
 * - Import `AuthModule` in each feature module whose controllers use the guard; it re-exports
 *   `LimitsModule`, which the guard counts failed keys with.
 */
export * from './roles.js';
export * from './token-secret.js';
export * from './workspace-store.js';
export * from './workspace-event-log.js';
export * from './token-cache.js';
export * from './auth-invalidation.js';
export * from './token-auth.guard.js';
export * from './decorators.js';
export * from './metadata.js';
export * from './auth.module.js';
