import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import type { Logger } from 'pino';
import type { BusCredentials } from './bus-users.js';

/**
 * Connects once and then keeps reconnecting forever: a bus that goes away makes the service
 * unready, never dead, and it recovers without a restart.
 */
export async function connectToBus(
  url: string,
  name: string,
  logger: Logger,
  credentials: Partial<BusCredentials> = {},
): Promise<NatsConnection> {
  const nc = await connect({
    ...credentials,
    // A cluster is a comma-separated list; the client also learns the others from the one it reaches.
    servers: natsServers(url),
    name,
    reconnect: true,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
    pingInterval: 5_000,
    maxPingOut: 2,
    timeout: 3_000,
    // Otherwise each request (every JetStream publish too) captures a stack up front, in case it
    // times out: a tenth of the scanner's CPU while it publishes findings (npm run bench:scan).
    // A bus error's stack then ends in the client; the log line around it says who asked.
    noAsyncTraces: true,
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

export { jetstreamManager };

/** `NATS_URL` as a list of servers: `nats://a:4222,nats://b:4222` (a cluster) or one URL. */
export function natsServers(url: string): string[] {
  return url
    .split(',')
    .map((server) => server.trim())
    .filter((server) => server.length > 0);
}
