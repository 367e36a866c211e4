import type { Subscription } from '@nats-io/transport-node';
import type { ServiceHealthReply } from '#libs/contracts/src/index.js';
import type { Bus } from '#libs/messaging/src/index.js';
import type { ReadinessCheck } from './readiness-check.js';

/** Answers the gateway's readiness probe with this service's own checks, each named. */
export function answerHealthOverBus(
  bus: Bus,
  service: string,
  subject: string,
  checks: ReadinessCheck[],
): Subscription {
  return bus.nc.subscribe(subject, {
    queue: service,
    callback: (error, msg) => {
      if (error) return;
      void (async () => {
        const components: ServiceHealthReply['components'] = {};
        await Promise.all(
          checks.map(async ({ name, check }) => {
            try {
              await check();
              components[name] = { status: 'up' };
            } catch (failure) {
              components[name] = {
                status: 'down',
                message: failure instanceof Error ? failure.message : String(failure),
              };
            }
          }),
        );
        const down = Object.values(components).some((c) => c.status === 'down');
        const reply: ServiceHealthReply = { service, status: down ? 'down' : 'up', components };
        msg.respond(JSON.stringify(reply));
      })();
    },
  });
}
