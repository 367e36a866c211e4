import { connect, type NatsConnection } from '@nats-io/transport-node';
import { createEnvelope, type Reply } from '#libs/contracts/src/index.js';
import { BusClient } from '#libs/messaging/src/index.js';

/** Requests on the bus as a service sends them: the services' bus client, the shared envelope. */
export async function busClient(natsUrl: string) {
  const nc: NatsConnection = await connect({ servers: natsUrl });
  const bus = new BusClient(nc);
  return {
    nc,
    request<T>(subject: string, workspaceId: string, data: unknown, timeout = 15_000) {
      const envelope = createEnvelope({ type: subject, data, workspaceId, actor: 'test' });
      return bus.request<T>(subject, envelope, timeout) as Promise<Reply<T>>;
    },
    close: () => nc.drain(),
  };
}
