import type { JetStreamClient } from '@nats-io/jetstream';
import type { Envelope } from '#libs/contracts/src/index.js';
import type { PublishBatch } from './publisher.js';
import type { StoredEvent } from './types.js';

/** A stored event as it travels on the bus: never its sealed part. */
export function toEnvelope(event: StoredEvent): Envelope {
  return {
    id: event.id,
    type: event.type,
    schemaVersion: event.schemaVersion,
    occurredAt: event.occurredAt,
    workspaceId: event.metadata.workspaceId,
    correlationId: event.metadata.correlationId,
    causationId: event.metadata.causationId,
    ...(event.metadata.actor === null ? {} : { actor: event.metadata.actor }),
    position: event.position,
    streamId: event.streamId,
    streamVersion: event.streamVersion,
    data: event.data,
  };
}

/**
 * Publishes each event to JetStream with `Nats-Msg-Id` = event id, one after another so the
 * stream keeps log order even when a publish fails midway and the batch is retried.
 */
export function jetStreamSink(
  js: JetStreamClient,
  subjectFor: (event: StoredEvent) => string,
  timeoutMs = 5_000,
): PublishBatch {
  return async (events) => {
    for (const event of events) {
      await js.publish(subjectFor(event), JSON.stringify(toEnvelope(event)), {
        msgID: event.id,
        timeout: timeoutMs,
      });
    }
  };
}
