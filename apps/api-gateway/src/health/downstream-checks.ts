import {
  IntegrationSubjects,
  ScannerSubjects,
  type ServiceHealthReply,
} from '#libs/contracts/src/index.js';
import type { Bus } from '#libs/messaging/src/index.js';
import type { ReadinessCheck } from '#libs/service-kit/src/index.js';

const DOWNSTREAM = [
  { name: 'integration-service', subject: IntegrationSubjects.health },
  { name: 'scanner-service', subject: ScannerSubjects.health },
] as const;

/** The gateway is ready only when each service it forwards to answers over the bus, by name. */
export function downstreamReadinessChecks(bus: Bus, timeoutMs = 1_000): ReadinessCheck[] {
  return DOWNSTREAM.map(({ name, subject }) => ({
    name,
    check: async () => {
      let reply: ServiceHealthReply;
      try {
        const msg = await bus.nc.request(subject, '', { timeout: timeoutMs });
        reply = msg.json<ServiceHealthReply>();
      } catch (error) {
        throw new Error(
          `no answer over the bus (${error instanceof Error ? error.message : error})`,
        );
      }
      if (reply.status !== 'up') {
        const failing = Object.entries(reply.components)
          .filter(([, c]) => c.status === 'down')
          .map(([component, c]) => `${component}: ${c.message ?? 'down'}`);
        throw new Error(`unready (${failing.join('; ')})`);
      }
    },
  }));
}
