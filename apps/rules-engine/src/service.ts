import { Module } from '@nestjs/common';
import { RulesEngineSubjects, Streams } from '#libs/contracts/src/index.js';
import type { ServiceSpec } from '#libs/service-kit/src/index.js';
import { engineEnv } from './config.js';
import { RulesEngine1764200000000 } from './migrations/1764200000000-rules-engine.js';
import { EngineRulesModule } from './rules/rules.module.js';
import { RunsModule } from './runs/runs.module.js';
import { SchedulesModule } from './schedules/schedules.module.js';
import { RuleActivity1764200001000 } from './migrations/1764200001000-rule-activity.js';
import { ProjectionCheckpoints1764200002000 } from './migrations/1764200002000-projection-checkpoints.js';
import { TriggersModule } from './triggers/triggers.module.js';

/** Feature modules: one line each. */
@Module({ imports: [EngineRulesModule, TriggersModule, SchedulesModule, RunsModule] })
class RulesEngineModule {}

/**
 * Runs rules and policies: triggers in (GitHub deliveries, schedules, polls), conditions checked
 * and actions made through the integration service, runs and breakers as events in schema `rules`.
 */
export const rulesEngine: ServiceSpec<typeof engineEnv> = {
  name: 'rules-engine',
  schema: 'rules',
  migrations: [
    RulesEngine1764200000000,
    RuleActivity1764200001000,
    ProjectionCheckpoints1764200002000,
  ],
  streams: [
    Streams.integrationEvents,
    Streams.githubWebhooks,
    Streams.ruleJobs,
    Streams.deadLetters,
  ],
  healthSubject: RulesEngineSubjects.health,
  env: engineEnv,
  rootModule: () => RulesEngineModule,
};
