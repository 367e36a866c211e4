import { randomUUID } from 'node:crypto';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { createEnvelope, type Reply } from '#libs/contracts/src/index.js';

/** Requests on the bus as a service sends them (Nest's frame, the shared envelope). */
export async function busClient(natsUrl: string) {
  const nc: NatsConnection = await connect({ servers: natsUrl });
  return {
    nc,
    async request<T>(subject: string, workspaceId: string, data: unknown, timeout = 15_000) {
      const envelope = createEnvelope({ type: subject, data, workspaceId, actor: 'test' });
      const msg = await nc.request(
        subject,
        JSON.stringify({ pattern: subject, data: envelope, id: randomUUID() }),
        { timeout },
      );
      return msg.json<{ response: Reply<T> }>().response;
    },
    close: () => nc.drain(),
  };
}
