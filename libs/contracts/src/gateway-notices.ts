/**
 * Notices between gateway replicas on core NATS (`GatewaySubjects`): at most once, so each only
 * shortens what a replica would otherwise wait for (a cache's TTL, a checkpoint poll).
 */

/** A key was revoked or a member removed: forget these cached lookups. */
export interface AuthInvalidated {
  tokenIds?: string[];
  memberIds?: string[];
}

/** The leading projector applied events up to `position`, touching these workspaces. */
export interface ReadModelsChanged {
  /** The replica that applied them, which does not need its own notice. */
  replica: string;
  /** The event-log position, as text (a bigint). */
  position: string;
  workspaceIds: string[];
}
