import type { NatsConnection } from '@nats-io/transport-node';
import type { JetStreamManager } from '@nats-io/jetstream';
import type { StreamDefinition } from '#libs/contracts/src/index.js';
import { BusClient } from './bus-client.js';

/**
 * The service's bus: the bus client on its one connection, plus what the service checks about
 * the streams it needs. Nest's NATS microservice answers the requests that reach this service.
 */
export class Bus extends BusClient {
  constructor(
    nc: NatsConnection,
    readonly jsm: JetStreamManager,
    readonly streams: readonly StreamDefinition[],
  ) {
    super(nc);
  }

  /** A round trip to the server, bounded: the cheapest proof the bus answers now. */
  async ping(timeoutMs = 1_000): Promise<void> {
    if (this.nc.isClosed()) throw new Error('connection closed');
    await Promise.race([
      this.nc.flush(),
      new Promise((_, reject) =>
        setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs).unref(),
      ),
    ]);
  }

  /** Each stream this service needs, or the first that is missing. */
  async checkStreams(): Promise<void> {
    for (const stream of this.streams) {
      await this.jsm.streams.info(stream.name);
    }
  }
}
