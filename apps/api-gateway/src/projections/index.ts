/**
 * The gateway's read models, projected from JetStream into schema `gateway`.
 *
 * - `gateway.integrations` and `gateway.rules` come from INTEGRATION_EVENTS (projection
 *   `gateway-integration-events`); rows are scoped by `workspace_id`, deleted on
 *   IntegrationDeleted / RuleDeleted. `evolveIntegration` / `evolveRule` are the pure rules.
 * - Each is a `Projection` of `libs/projections` (a name, a stream, `canHandle` and `apply(tx,
 *   events, checkpoint)`), run by its `ProjectionRunner`: the rows and the checkpoint are written
 *   together, what was applied is skipped, one replica leads (advisory lock) and it resumes from
 *   the checkpoint after downtime.
 * - Read-your-writes: inject `INTEGRATION_READ_MODEL` (a `ProjectionWaiter`) and
 *   `await waiter.waitFor(reply.position, READ_YOUR_WRITES_MS)` before answering a command, or
 *   send it through `commandThenCatchUp`.
 * - Caches of these read models subscribe to `ReadModelChanges.onChange` (workspaces changed, on
 *   this replica or, via `gateway.read-models.changed`, on the leader); waiters wake after them.
 */
export * from './read-models.js';
export * from './row-sql.js';
export * from './projection-waiter.js';
export * from './read-your-writes.js';
export * from './integration-events.projection.js';
export * from './read-model-changes.js';
export * from './projections.module.js';
