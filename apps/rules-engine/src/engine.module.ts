import { Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import type pg from 'pg';
import type { Logger } from 'pino';
import { createPgPool } from '#libs/database/src/index.js';
import type { Bus } from '#libs/messaging/src/index.js';
import { BUS, LOGGER, SERVICE_CONFIG } from '#libs/service-kit/src/index.js';
import type { EngineConfig } from './config.js';
import { EVALUATOR, Evaluator } from './evaluation/evaluator.js';
import { PROVIDER_CLIENT, ProviderClient } from './evaluation/provider-client.js';
import { DEFAULT_BREAKER } from './policies/breaker.js';
import { BREAKER_STORE, BreakerStore } from './policies/breaker-store.js';
import { RULE_CATALOG, RuleCatalog } from './rules/rule-catalog.js';
import { ENGINE_STORE, EngineStore } from './runs/engine-store.js';

/** The engine's own pg Pool, from `DATABASE_URL`: its event store talks to Postgres directly. */
const ENGINE_PG_POOL = Symbol('ENGINE_PG_POOL');

/**
 * What the engine's features work with (its store, breakers, evaluator, rule catalog), built
 * once from the service's configuration, logger and bus. Each feature module imports it.
 */
@Module({
  providers: [
    {
      provide: ENGINE_PG_POOL,
      inject: [SERVICE_CONFIG, LOGGER],
      useFactory: (config: EngineConfig, logger: Logger) =>
        createPgPool({ url: config.DATABASE_URL, applicationName: 'rules-engine', logger }),
    },
    {
      provide: ENGINE_STORE,
      inject: [ENGINE_PG_POOL],
      useFactory: (pool: pg.Pool) => new EngineStore(pool),
    },
    {
      provide: BREAKER_STORE,
      inject: [ENGINE_PG_POOL, ENGINE_STORE, SERVICE_CONFIG],
      useFactory: (pool: pg.Pool, store: EngineStore, config: EngineConfig) =>
        new BreakerStore(pool, store.events, {
          ...DEFAULT_BREAKER,
          openForMs: config.POLICY_BREAKER_OPEN_MS,
          windowMs: config.POLICY_BREAKER_WINDOW_MS,
        }),
    },
    {
      provide: PROVIDER_CLIENT,
      inject: [BUS, SERVICE_CONFIG],
      useFactory: (bus: Bus, config: EngineConfig) =>
        new ProviderClient(bus, config.ENGINE_PROVIDER_TIMEOUT_MS),
    },
    {
      provide: EVALUATOR,
      inject: [ENGINE_STORE, BREAKER_STORE, PROVIDER_CLIENT, SERVICE_CONFIG, LOGGER],
      useFactory: (
        store: EngineStore,
        breakers: BreakerStore,
        providers: ProviderClient,
        config: EngineConfig,
        logger: Logger,
      ) =>
        new Evaluator(
          store,
          breakers,
          providers,
          {
            statusPrefix: config.POLICY_STATUS_PREFIX,
            publicUrl: config.RULES_PUBLIC_URL.replace(/\/+$/, ''),
          },
          logger,
        ),
    },
    {
      provide: RULE_CATALOG,
      inject: [ENGINE_PG_POOL],
      useFactory: (pool: pg.Pool) => new RuleCatalog(pool),
    },
  ],
  exports: [ENGINE_STORE, BREAKER_STORE, PROVIDER_CLIENT, EVALUATOR, RULE_CATALOG],
})
export class EngineModule implements OnApplicationShutdown {
  constructor(@Inject(ENGINE_PG_POOL) private readonly pool: pg.Pool) {}

  /** After every consumer has stopped: they stop in `onModuleDestroy`, which Nest runs first. */
  async onApplicationShutdown(): Promise<void> {
    await this.pool.end();
  }
}
