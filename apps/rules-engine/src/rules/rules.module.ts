import { Inject, Module, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import type { Subscription } from '@nats-io/transport-node';
import { RulesEngineSubjects } from '#libs/contracts/src/index.js';
import type { Bus } from '#libs/messaging/src/index.js';
import { Projections } from '#libs/projections/src/index.js';
import { BUS } from '#libs/service-kit/src/index.js';
import { EngineModule } from '../engine.module.js';
import { RULE_CATALOG, type RuleCatalog } from './rule-catalog.js';
import { ruleCatalogProjection } from './rule-catalog.projection.js';

/**
 * The engine's rule catalog, kept from the integration service's rule events by the service's
 * projection runner (one replica leads). After each commit the leader drops the workspaces it
 * changed from what it keeps in memory and tells the other replicas (core NATS
 * `RulesEngineSubjects.rulesChanged`), which drop them too; a lost notice is bounded by the
 * catalog's keep.
 */
@Module({ imports: [EngineModule] })
export class EngineRulesModule implements OnApplicationBootstrap, OnModuleDestroy {
  private notices: Subscription | undefined;

  constructor(
    @Inject(BUS) private readonly bus: Bus,
    @Inject(RULE_CATALOG) private readonly catalog: RuleCatalog,
    @Inject(Projections) projections: Projections,
  ) {
    projections.run(ruleCatalogProjection, {
      onApplied: ({ events }) => {
        const workspaceIds = new Set(events.flatMap((e) => e.workspaceId ?? []));
        for (const workspaceId of workspaceIds) {
          catalog.forget(workspaceId);
          try {
            bus.nc.publish(RulesEngineSubjects.rulesChanged, workspaceId);
          } catch {
            // Bus away: the other replicas' keep runs out on its own.
          }
        }
      },
    });
  }

  onApplicationBootstrap(): void {
    this.notices = this.bus.nc.subscribe(RulesEngineSubjects.rulesChanged, {
      callback: (error, msg) => {
        if (!error) this.catalog.forget(msg.string());
      },
    });
  }

  onModuleDestroy(): void {
    this.notices?.unsubscribe();
  }
}
