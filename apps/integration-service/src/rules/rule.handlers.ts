import { randomUUID } from 'node:crypto';
import { Controller, Inject } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { z } from 'zod';
import {
  fail,
  ok,
  ruleProviders,
  ruleStreamId,
  RuleSubjects,
  validateRuleDefinition,
  type HistoryEntry,
  type Reply,
  type RuleView,
} from '#libs/contracts/src/index.js';
import { toHistoryEntry } from '../integrations/integration.handlers.js';
import { fieldIssues } from '../integrations/decide.js';
import { loadRule, missingProviders, readRuleView, saveRule } from '../write-side/repositories.js';
import type { UnitOfWork } from '../write-side/unit-of-work.js';
import { WRITE_SIDE, type WriteSide } from '../write-side/write-side.js';
import { decideRule, type RuleCommand } from './decide.js';
import { evolveRule } from './evolve.js';
import { toRuleView, type RuleState } from './rule.state.js';

const notFound = (id: string) => fail('not_found', 'rule_not_found', `rule ${id} does not exist`);
const ruleId = z.strictObject({ ruleId: z.uuid({ error: 'expected a UUID' }) });
const CreateRuleCommand = z.strictObject({
  definition: z.unknown(),
  enabled: z.boolean().default(true),
});
const ListRulesQuery = z.strictObject({
  enabled: z.boolean().optional(),
  provider: z.string().optional(),
});

function parse<S extends z.ZodType>(
  schema: S,
  input: unknown,
): { ok: true; value: z.infer<S> } | Reply<never> {
  const parsed = schema.safeParse(input ?? {});
  return parsed.success
    ? { ok: true, value: parsed.data }
    : fail(
        'validation',
        'invalid_request',
        'the request is invalid',
        fieldIssues(parsed.error.issues, ''),
      );
}

@Controller()
export class RuleHandlers {
  constructor(@Inject(WRITE_SIDE) private readonly w: WriteSide) {}

  @MessagePattern(RuleSubjects.create)
  create(@Payload() message: unknown): Promise<Reply<RuleView>> {
    return this.w.runner.run(message, 'rules.create', async (uow, data) => {
      const input = parse(CreateRuleCommand, data);
      if (!input.ok) return input;
      const validated = validateRuleDefinition(input.value.definition);
      if (!validated.ok) {
        return fail(
          'validation',
          'invalid_rule',
          'the rule is invalid',
          validated.issues.map((i) => ({
            ...i,
            field: i.field ? `definition.${i.field}` : 'definition',
          })),
        );
      }
      const providers = ruleProviders(validated.definition);
      const missing = await missingProviders(uow.client, uow.workspaceId, providers);
      const state = await loadRule(this.w.store, uow.client, randomUUID());
      return this.decideAndAppend(uow, state, {
        kind: 'create',
        definition: validated.definition,
        providers,
        enabled: input.value.enabled,
        missingProviders: missing,
      });
    });
  }

  @MessagePattern(RuleSubjects.enable)
  enable(@Payload() message: unknown): Promise<Reply<RuleView>> {
    return this.w.runner.run(message, 'rules.enable', async (uow, data) => {
      const input = parse(ruleId, data);
      if (!input.ok) return input;
      const state = await loadRule(this.w.store, uow.client, input.value.ruleId);
      if (!this.visible(state, uow)) return notFound(input.value.ruleId);
      const missing = await missingProviders(uow.client, uow.workspaceId, state.providers);
      return this.decideAndAppend(uow, state, { kind: 'enable', missingProviders: missing });
    });
  }

  @MessagePattern(RuleSubjects.disable)
  disable(@Payload() message: unknown): Promise<Reply<RuleView>> {
    return this.w.runner.run(message, 'rules.disable', async (uow, data) => {
      const input = parse(ruleId.extend({ reason: z.string().min(1).max(500).optional() }), data);
      if (!input.ok) return input;
      const state = await loadRule(this.w.store, uow.client, input.value.ruleId);
      if (!this.visible(state, uow)) return notFound(input.value.ruleId);
      return this.decideAndAppend(uow, state, {
        kind: 'disable',
        reason: input.value.reason ?? null,
      });
    });
  }

  @MessagePattern(RuleSubjects.delete)
  delete(@Payload() message: unknown): Promise<Reply<{ ruleId: string }>> {
    return this.w.runner.run(message, 'rules.delete', async (uow, data) => {
      const input = parse(ruleId, data);
      if (!input.ok) return input;
      const state = await loadRule(this.w.store, uow.client, input.value.ruleId);
      if (!this.visible(state, uow)) return notFound(input.value.ruleId);
      const reply = await this.decideAndAppend(uow, state, { kind: 'delete' });
      return reply.ok ? ok({ ruleId: state.id }) : reply;
    });
  }

  @MessagePattern(RuleSubjects.get)
  get(@Payload() message: unknown): Promise<Reply<RuleView>> {
    return this.w.runner.query(message, async (envelope) => {
      const input = parse(ruleId, envelope.data);
      if (!input.ok) return input;
      const view = await readRuleView(this.w.pool, envelope.workspaceId!, input.value.ruleId);
      return view ? ok(view) : notFound(input.value.ruleId);
    });
  }

  @MessagePattern(RuleSubjects.list)
  list(@Payload() message: unknown): Promise<Reply<RuleView[]>> {
    return this.w.runner.query(message, async (envelope) => {
      const input = parse(ListRulesQuery, envelope.data);
      if (!input.ok) return input;
      const { rows } = await this.w.pool.query<{ view: RuleView }>(
        `SELECT view FROM integration.rules
         WHERE workspace_id = $1 AND ($2::boolean IS NULL OR enabled = $2)
           AND ($3::text IS NULL OR $3 = ANY(providers))
         ORDER BY created_at, id`,
        [envelope.workspaceId, input.value.enabled ?? null, input.value.provider ?? null],
      );
      return ok(rows.map((r) => r.view));
    });
  }

  @MessagePattern(RuleSubjects.history)
  history(@Payload() message: unknown): Promise<Reply<HistoryEntry[]>> {
    return this.w.runner.query(message, async (envelope) => {
      const input = parse(ruleId, envelope.data);
      if (!input.ok) return input;
      const events = await this.w.store.readStream(ruleStreamId(input.value.ruleId));
      if (events.length === 0 || events[0]!.metadata.workspaceId !== envelope.workspaceId) {
        return notFound(input.value.ruleId);
      }
      return ok(events.map(toHistoryEntry));
    });
  }

  private visible(state: RuleState, uow: UnitOfWork): boolean {
    return state.exists && !state.deleted && state.workspaceId === uow.workspaceId;
  }

  private async decideAndAppend(
    uow: UnitOfWork,
    state: RuleState,
    command: RuleCommand,
  ): Promise<Reply<RuleView>> {
    const decision = decideRule(state, command, uow.now);
    if (!decision.ok) return { ok: false, error: decision.error };
    if (decision.events.length === 0) return ok(toRuleView(state));
    const stored = await uow.append(ruleStreamId(state.id), state.version, decision.events);
    const next = stored.reduce(evolveRule, state);
    await saveRule(uow.client, next);
    return ok(toRuleView(next));
  }
}
