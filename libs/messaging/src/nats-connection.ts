import { connect, nanos, type NatsConnection } from '@nats-io/transport-node';
import {
  jetstreamManager,
  RetentionPolicy,
  StorageType,
  type JetStreamManager,
} from '@nats-io/jetstream';
import type { Logger } from 'pino';
import type { StreamDefinition } from '#libs/contracts/src/index.js';

/**
 * Connects once and then keeps reconnecting forever: a bus that goes away makes the service
 * unready, never dead, and it recovers without a restart.
 */
export async function connectToBus(
  url: string,
  name: string,
  logger: Logger,
): Promise<NatsConnection> {
  const nc = await connect({
    servers: url,
    name,
    reconnect: true,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
    pingInterval: 5_000,
    maxPingOut: 2,
    timeout: 3_000,
  });
  void (async () => {
    for await (const status of nc.status()) {
      if (status.type === 'disconnect' || status.type === 'reconnect') {
        logger.warn(
          { nats: status.type, server: 'server' in status ? status.server : undefined },
          'bus connection changed',
        );
      }
    }
  })();
  return nc;
}

/** Creates or updates each stream so that starting any number of replicas gives one shape. */
export async function ensureStreams(
  jsm: JetStreamManager,
  streams: readonly StreamDefinition[],
): Promise<void> {
  for (const stream of streams) {
    const config = {
      name: stream.name,
      subjects: [...stream.subjects],
      retention:
        stream.retention === 'workqueue' ? RetentionPolicy.Workqueue : RetentionPolicy.Limits,
      storage: StorageType.File,
      duplicate_window: nanos(stream.duplicateWindowMs),
    };
    try {
      await jsm.streams.info(stream.name);
      await jsm.streams.update(stream.name, config);
    } catch (error) {
      if (!isStreamNotFound(error)) throw error;
      await jsm.streams.add(config);
    }
  }
}

function isStreamNotFound(error: unknown): boolean {
  const message = error instanceof Error ? error.message : String(error);
  return /stream not found/i.test(message);
}

export { jetstreamManager };
