/** Who caused an event and in which chain: kept beside the data, published in the envelope. */
export interface EventMetadata {
  workspaceId: string | null;
  correlationId: string;
  causationId: string | null;
  actor: string | null;
  /** The API key the actor used, when a member acted through the gateway. */
  actorKeyId?: string | null;
  /** W3C trace context of the request that appended it, when that request was traced. */
  trace?: Record<string, string>;
}

/** An event about to be appended. */
export interface NewEvent {
  id: string;
  type: string;
  schemaVersion: number;
  data: unknown;
  metadata: EventMetadata;
  /**
   * Data that stays in the log and never leaves the service: not published, not in history
   * (e.g. credentials sealed with the integration's data key).
   */
  sealed?: unknown;
  occurredAt: string;
}

/** An event as read back from the log, upcast to its current schema version. */
export interface StoredEvent {
  /** Global position in the log, a bigint as a string. */
  position: string;
  streamId: string;
  streamVersion: number;
  id: string;
  type: string;
  schemaVersion: number;
  data: unknown;
  metadata: EventMetadata;
  sealed: unknown;
  occurredAt: string;
  recordedAt: string;
}

/** Another writer appended to the stream first: reload and decide again, or report a conflict. */
export class VersionConflictError extends Error {
  constructor(
    readonly streamId: string,
    readonly expectedVersion: number,
  ) {
    super(`stream ${streamId} is no longer at version ${expectedVersion}`);
    this.name = 'VersionConflictError';
  }
}

/** An event over `BUS_LIMITS.eventBytes`: refused before it is appended, never half-written. */
export class EventTooLargeError extends Error {
  constructor(
    readonly type: string,
    readonly bytes: number,
    readonly limit: number,
  ) {
    super(`a ${type} event of ${bytes} bytes exceeds the limit of ${limit} bytes`);
    this.name = 'EventTooLargeError';
  }
}
