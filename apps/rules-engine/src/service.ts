import { Module, type DynamicModule } from '@nestjs/common';
import { RulesEngineSubjects, Streams } from '#libs/contracts/src/index.js';
import type { Infrastructure, ServiceSpec } from '#libs/service-kit/src/index.js';
import { engineEnv, type EngineConfig } from './engine.config.js';
import { EngineModule } from './engine.module.js';
import { RulesEngine1764200000000 } from './migrations/1764200000000-rules-engine.js';
import { EngineRulesModule } from './rules/rules.module.js';
import { RunsModule } from './runs/runs.module.js';
import { SchedulesModule } from './schedules/schedules.module.js';
import { RuleActivity1764200001000 } from './migrations/1764200001000-rule-activity.js';
import { TriggersModule } from './triggers/triggers.module.js';

@Module({})
class RulesEngineModule {
  static forRoot(infra: Infrastructure<EngineConfig>): DynamicModule {
    return {
      module: RulesEngineModule,
      // Feature modules: one line each.
      imports: [
        EngineModule.forRoot(infra),
        EngineRulesModule,
        TriggersModule,
        SchedulesModule,
        RunsModule,
      ],
    };
  }
}

/**
 * Runs rules and policies: triggers in (GitHub deliveries, schedules, polls), conditions checked
 * and actions made through the integration service, runs and breakers as events in schema `rules`.
 */
export const rulesEngine: ServiceSpec<typeof engineEnv> = {
  name: 'rules-engine',
  schema: 'rules',
  migrations: [RulesEngine1764200000000, RuleActivity1764200001000],
  streams: [
    Streams.integrationEvents,
    Streams.githubWebhooks,
    Streams.ruleJobs,
    Streams.deadLetters,
  ],
  healthSubject: RulesEngineSubjects.health,
  env: engineEnv,
  rootModule: (infra) => RulesEngineModule.forRoot(infra as Infrastructure<EngineConfig>),
};
