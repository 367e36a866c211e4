/**
 * The TinyOps Integrations API's `/api/integrations`: list, by id, `:provider/connect|disconnect|checks|actions|repos|
 * health`. Reusable bits: `providerOrNotFound(name)` (404 listing the known providers),
 * `ReposQuery` (the seed's `page`/`per_page`/`search`, per_page capped at 100) and
 * `IntegrationReadModel` (workspace-scoped reads of `gateway.integrations`).
 */
export * from './provider.js';
export * from './repos-query.js';
export * from './integration-read-model.js';
export * from './list-query.js';
export * from './integration-list-cache.js';
export * from './integration-list.fast-path.js';
export * from './integrations.module.js';
