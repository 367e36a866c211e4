import { natsServerConfig, passwordVariable } from '#libs/messaging/src/index.js';

/**
 * The nats-server config docker-compose mounts (`ops/nats/nats.conf`): JetStream, monitoring on
 * 8222 for the health check, and every bus user whose password nats-server reads from its
 * environment (`$NATS_<USER>_PASSWORD`), so the file holds no secret. A test keeps the committed
 * file equal to this.
 */
export function composeNatsConfig(): string {
  return (
    '# Generated from BUS_USERS (libs/messaging/src/bus-users.ts) by scripts/stack/compose-nats-config.ts.\n' +
    natsServerConfig({
      listen: '0.0.0.0:4222',
      storeDir: '/data',
      httpPort: 8222,
      password: (user) => `$${passwordVariable(user)}`,
    })
  );
}
