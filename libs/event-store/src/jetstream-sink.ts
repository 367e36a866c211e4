import type { BusClient } from '#libs/messaging/src/index.js';
import type { Envelope } from '#libs/contracts/src/index.js';
import type { PublishBatch, SetAsideEvent } from './publisher.js';
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
  options: {
    /** The bus's largest message (the server's `max_payload`), read at each batch. */
    maxPayload?: () => number | undefined;
    timeoutMs?: number;
  } = {},
): PublishBatch {
  const timeoutMs = options.timeoutMs ?? 5_000;
  return async (events) => {
    // An event the server would refuse for its size is refused every time: retrying it would
    // hold back every event after it, of every workspace. It is set aside instead.
    const limit = (options.maxPayload?.() ?? Number.POSITIVE_INFINITY) - HEADER_ROOM_BYTES;
    const setAside: SetAsideEvent[] = [];
    const acks = [];
    for (const event of events) {
      const body = JSON.stringify(toEnvelope(event));
      const bytes = Buffer.byteLength(body);
      if (bytes > limit) {
        setAside.push({
          event,
          bytes,
          reason: `${bytes} bytes do not fit in one bus message (at most ${limit})`,
        });
        continue;
      }
      acks.push(
        bus.publish(subjectFor(event), body, {
          msgID: event.id,
          timeout: timeoutMs,
          ...(event.metadata.trace ? { trace: event.metadata.trace } : {}),
        }),
      );
    }
    const results = await Promise.allSettled(acks);
    const failed = results.find((r) => r.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
    return setAside;
  };
}

/** Room a message needs beside its body: subject, `Nats-Msg-Id` and trace headers. */
const HEADER_ROOM_BYTES = 4 * 1024;
