import type { NatsConnection } from '@nats-io/transport-node';
import { jetstream, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import type { StreamDefinition } from '#libs/contracts/src/index.js';

/** The service's own raw bus handle for JetStream work; request/reply goes through Nest. */
export class Bus {
  readonly js: JetStreamClient;

  constructor(
    readonly nc: NatsConnection,
    readonly jsm: JetStreamManager,
    readonly streams: readonly StreamDefinition[],
  ) {
    this.js = jetstream(nc);
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
