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
  /** The rules engine, when `startStack` was asked for it (`rulesEngine: true`). */
  rulesEngine?: RunningService;
  close(): Promise<void>;
}

export interface StackOptions {
  /** Runs the bus with its production authorization, each service as its own user. */
  busUsers?: boolean;
  /** Also starts the rules engine in this process, after the gateway (its `RULES_PUBLIC_URL`). */
  rulesEngine?: boolean;
}

/**
 * The three services in this process against a fresh nats-server and a fresh database: what an
 * end-to-end test talks to over real HTTP and a real bus. `env` adds or overrides variables;
 * `busUsers` runs the bus with its production authorization, each service as its own user;
 * `rulesEngine` adds the rules engine as a fourth service.
 */
export async function startStack(
  env: Record<string, string> = {},
  { busUsers = false, rulesEngine: withRulesEngine = false }: StackOptions = {},
): Promise<Stack> {
  const nats = await NatsServerFixture.start({ users: busUsers });
  const db = await PostgresFixture.create('stack');
  const fullEnv = serviceEnv(nats, db, {
    // Suites that connect GitHub with a bare body; the install-flow suite sets it to true.
    GITHUB_CONNECT_REQUIRES_INSTALL_FLOW: 'false',
    ...env,
  });
  const as = (user: BusUser) => (busUsers ? { ...fullEnv, ...nats.credentials(user) } : fullEnv);
  const integration = await startService(integrationService as any, as('integration-service'));
  const scanner = await startService(scannerService as any, as('scanner-service'));
  const gateway = await startService(apiGateway as any, as('api-gateway'));
  let rulesEngine: RunningService | undefined;
  if (withRulesEngine) {
    // Imported only when asked, so the suites that do not run it do not load it.
    const { rulesEngine: spec } = await import('../../apps/rules-engine/src/service.js');
    rulesEngine = await startService(spec as any, {
      RULES_PUBLIC_URL: gateway.url,
      ...as('rules-engine'),
    });
  }
  return {
    nats,
    db,
    env: fullEnv,
    gateway,
    integration,
    scanner,
    ...(rulesEngine ? { rulesEngine } : {}),
    async close() {
      if (rulesEngine) await rulesEngine.close();
      for (const service of [gateway, scanner, integration]) await service.close();
      await nats.dispose();
      await db.dispose();
    },
  };
}
