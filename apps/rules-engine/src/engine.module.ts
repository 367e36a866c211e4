import {
  Global,
  Inject,
  Module,
  type DynamicModule,
  type OnApplicationShutdown,
} from '@nestjs/common';
import type pg from 'pg';
import { createPgPool } from '#libs/database/src/index.js';
import type { Infrastructure } from '#libs/service-kit/src/index.js';
import type { EngineConfig } from './engine.config.js';
import { EVALUATOR, Evaluator } from './evaluation/evaluator.js';
import { PROVIDER_CLIENT, ProviderClient } from './evaluation/provider-client.js';
import { DEFAULT_BREAKER } from './policies/breaker.js';
import { BREAKER_STORE, BreakerStore } from './policies/breaker-store.js';
import { RULE_CATALOG, RuleCatalog } from './rules/rule-catalog.js';
import { ENGINE_STORE, EngineStore } from './runs/engine-store.js';

/** The engine's own pg Pool, from `DATABASE_URL`: its event store talks to Postgres directly. */
const ENGINE_PG_POOL = Symbol('ENGINE_PG_POOL');

/** What every feature of the engine works with, built once from the service's infrastructure. */
@Global()
@Module({})
export class EngineModule implements OnApplicationShutdown {
  constructor(@Inject(ENGINE_PG_POOL) private readonly pool: pg.Pool) {}

  /** After every consumer has stopped (their hooks run before this one). */
  async onApplicationShutdown(): Promise<void> {
    await this.pool.end();
  }

  static forRoot(infra: Infrastructure<EngineConfig>): DynamicModule {
    const { config, logger, bus } = infra;
    const pool = createPgPool({
      url: config.DATABASE_URL,
      applicationName: 'rules-engine',
      logger,
    });
    const store = new EngineStore(pool);
    const breakers = new BreakerStore(pool, store.events, {
      ...DEFAULT_BREAKER,
      openForMs: config.POLICY_BREAKER_OPEN_MS,
      windowMs: config.POLICY_BREAKER_WINDOW_MS,
    });
    const providers = new ProviderClient(bus, config.ENGINE_PROVIDER_TIMEOUT_MS);
    const evaluator = new Evaluator(
      store,
      breakers,
      providers,
      {
        statusPrefix: config.POLICY_STATUS_PREFIX,
        publicUrl: config.RULES_PUBLIC_URL.replace(/\/+$/, ''),
      },
      logger,
    );
    const providersList = [
      { provide: ENGINE_PG_POOL, useValue: pool },
      { provide: ENGINE_STORE, useValue: store },
      { provide: BREAKER_STORE, useValue: breakers },
      { provide: PROVIDER_CLIENT, useValue: providers },
      { provide: EVALUATOR, useValue: evaluator },
      { provide: RULE_CATALOG, useValue: new RuleCatalog(pool) },
    ];
    return {
      module: EngineModule,
      providers: providersList,
      exports: providersList.map((p) => p.provide),
    };
  }
}
