import { randomBytes } from 'node:crypto';
import { startService, type RunningService } from '#libs/service-kit/src/index.js';
import { NatsServerFixture, PostgresFixture } from '#libs/testing/src/index.js';
import { integrationService } from '../../apps/integration-service/src/service.js';
import { scannerService } from '../../apps/scanner-service/src/service.js';
import { apiGateway } from '../../apps/api-gateway/src/service.js';
import type { BusUser } from '#libs/messaging/src/index.js';
import { serviceEnv } from './service-env.js';

export interface Stack {
  nats: NatsServerFixture;
  db: PostgresFixture;
  env: Record<string, string>;
  gateway: RunningService;
  integration: RunningService;
  scanner: RunningService;
  close(): Promise<void>;
}

/**
 * The three services in this process against a fresh nats-server and a fresh database: what an
 * end-to-end test talks to over real HTTP and a real bus. `env` adds or overrides variables;
 * `busUsers` runs the bus with its production authorization, each service as its own user.
 */
export async function startStack(
  env: Record<string, string> = {},
  { busUsers = false }: { busUsers?: boolean } = {},
): Promise<Stack> {
  const nats = await NatsServerFixture.start({ users: busUsers });
  const db = await PostgresFixture.create('stack');
  const fullEnv = serviceEnv(nats, db, {
    CREDENTIALS_MASTER_KEY: randomBytes(32).toString('base64'),
    GATEWAY_SIGNING_KEY: randomBytes(32).toString('base64'),
    // Suites that connect GitHub with a bare body; the install-flow suite sets it to true.
    GITHUB_CONNECT_REQUIRES_INSTALL_FLOW: 'false',
    ...env,
  });
  const as = (user: BusUser) => (busUsers ? { ...fullEnv, ...nats.credentials(user) } : fullEnv);
  const integration = await startService(integrationService as any, as('integration-service'));
  const scanner = await startService(scannerService as any, as('scanner-service'));
  const gateway = await startService(apiGateway as any, as('api-gateway'));
  return {
    nats,
    db,
    env: fullEnv,
    gateway,
    integration,
    scanner,
    async close() {
      for (const service of [gateway, scanner, integration]) await service.close();
      await nats.dispose();
      await db.dispose();
    },
  };
}
