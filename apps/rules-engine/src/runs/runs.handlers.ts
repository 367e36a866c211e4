import { randomUUID } from 'node:crypto';
import { Controller, Inject } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import type { Logger } from 'pino';
import { z } from 'zod';
import {
  fail,
  isEnvelope,
  ok,
  RulesEngineSubjects,
  validateRuleDefinition,
  type Envelope,
  type Reply,
  type RuleRunView,
  type RunsPage,
} from '#libs/contracts/src/index.js';
import { LOGGER } from '#libs/service-kit/src/index.js';
import { EVALUATOR, type Evaluator } from '../evaluation/evaluator.js';
import { ENGINE_STORE, type EngineStore } from './engine-store.js';

const uuid = z.uuid({ error: 'expected a UUID' });
const RunsQuery = z.strictObject({
  ruleId: uuid,
  page: z.number().int().min(1).max(100_000).default(1),
  perPage: z.number().int().min(1).max(100).default(20),
});
const RunQuery = z.strictObject({ ruleId: uuid, runId: uuid });
const TestCommand = z.strictObject({
  ruleId: uuid,
  name: z.string().min(1).max(200),
  definition: z.unknown(),
  trigger: z
    .strictObject({
      event: z.string().min(1).max(200).optional(),
      data: z.record(z.string(), z.unknown()).optional(),
    })
    .optional(),
});

/** Reads of run history and test runs, answered over the bus for the gateway. */
@Controller()
export class RunsHandlers {
  constructor(
    @Inject(ENGINE_STORE) private readonly store: EngineStore,
    @Inject(EVALUATOR) private readonly evaluator: Evaluator,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  @MessagePattern(RulesEngineSubjects.runs)
  runs(@Payload() message: unknown): Promise<Reply<RunsPage>> {
    return this.answer(message, RunsQuery, async (q, workspaceId) => {
      const { runs, total } = await this.store.listRuns(workspaceId, q.ruleId, q.page, q.perPage);
      return ok({ runs, total, page: q.page, per_page: q.perPage });
    });
  }

  @MessagePattern(RulesEngineSubjects.run)
  run(@Payload() message: unknown): Promise<Reply<RuleRunView>> {
    return this.answer(message, RunQuery, async (q, workspaceId) => {
      const run = await this.store.getRun(workspaceId, q.ruleId, q.runId);
      return run
        ? ok(run)
        : fail('not_found', 'run_not_found', `no run ${q.runId} of rule ${q.ruleId}`);
    });
  }

  @MessagePattern(RulesEngineSubjects.test)
  test(@Payload() message: unknown): Promise<Reply<RuleRunView>> {
    return this.answer(message, TestCommand, async (q, workspaceId, envelope) => {
      const validated = validateRuleDefinition(q.definition);
      if (!validated.ok)
        return fail('validation', 'invalid_rule', 'the rule is invalid', validated.issues);
      const definition = validated.definition;
      const event = q.trigger?.event ?? definition.trigger.event;
      const run = await this.evaluator.test(
        {
          id: q.ruleId,
          workspaceId,
          name: q.name,
          kind: definition.kind,
          enabled: true,
          definition,
          activeSince: new Date().toISOString(),
        },
        {
          workspaceId,
          key: `test:${randomUUID()}`,
          run: { type: 'test', event },
          event,
          data: q.trigger?.data ?? {},
          correlationId: envelope.correlationId,
        },
      );
      return ok(run);
    });
  }

  private async answer<S extends z.ZodType, T>(
    message: unknown,
    schema: S,
    work: (input: z.infer<S>, workspaceId: string, envelope: Envelope) => Promise<Reply<T>>,
  ): Promise<Reply<T>> {
    if (!isEnvelope(message) || !message.workspaceId) {
      return fail('validation', 'invalid_envelope', 'expected an envelope with a workspace');
    }
    const parsed = schema.safeParse(message.data ?? {});
    if (!parsed.success) {
      return fail(
        'validation',
        'invalid_request',
        'the request is invalid',
        parsed.error.issues.map((i) => ({ field: i.path.join('.'), message: i.message })),
      );
    }
    try {
      return await work(parsed.data, message.workspaceId, message);
    } catch (error) {
      this.logger.error({ err: error }, 'rules-engine request failed');
      return fail('internal', 'internal_error', 'the request failed unexpectedly');
    }
  }
}
