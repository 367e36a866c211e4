import type { BusClient } from '#libs/messaging/src/index.js';
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
    ...(event.metadata.actorKeyId ? { actorKeyId: event.metadata.actorKeyId } : {}),
    position: event.position,
    streamId: event.streamId,
    streamVersion: event.streamVersion,
    data: event.data,
  };
}

/**
 * Publishes a batch to JetStream with `Nats-Msg-Id` = event id. The batch is pipelined on one
 * connection, which the server receives and stores in order; only then are the acks awaited.
 * If any publish fails the whole batch fails and is retried: events already stored are absorbed
 * by the stream's duplicate window. (A server that refused one message yet stored a later one
 * of the same batch could reorder them; JetStream refuses by stream state - missing stream,
 * limits - which refuses the rest as well.)
 *
 * Each message carries the trace context the event was appended in, so whoever applies it can
 * link its work to the request that caused it.
 */
export function jetStreamSink(
  bus: Pick<BusClient, 'publish'>,
  subjectFor: (event: StoredEvent) => string,
  timeoutMs = 5_000,
): PublishBatch {
  return async (events) => {
    const acks = events.map((event) =>
      bus.publish(subjectFor(event), JSON.stringify(toEnvelope(event)), {
        msgID: event.id,
        timeout: timeoutMs,
        ...(event.metadata.trace ? { trace: event.metadata.trace } : {}),
      }),
    );
    const results = await Promise.allSettled(acks);
    const failed = results.find((r) => r.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
  };
}
