import { randomUUID } from 'node:crypto';
import { Controller, Inject } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import type pg from 'pg';
import { z } from 'zod';
import {
  BUS_LIMITS,
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
import { CommandHandler, EventStore, type UnitOfWork } from '#libs/event-store/src/index.js';
import { toHistoryEntry } from '../integrations/integration.handlers.js';
import { parse } from '../write-side/parse.js';
import { connectedProviders, readRuleView } from '../write-side/repositories.js';
import { PG_POOL } from '../write-side/write-side.module.js';
import { rules } from './rule.decider.js';
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

const visible = (state: RuleState, uow: UnitOfWork) =>
  state.exists && !state.deleted && state.workspaceId === uow.workspaceId;

/** Providers among `providers` with no connected integration (see `connectedProviders`). */
async function missingProviders(uow: UnitOfWork, providers: readonly string[]) {
  const [result] = await uow.read(connectedProviders(uow.workspaceId, providers));
  const connected = new Set(result!.rows.map((r: { provider: string }) => r.provider));
  return providers.filter((p) => !connected.has(p));
}

@Controller()
export class RuleHandlers {
  constructor(
    private readonly commands: CommandHandler,
    private readonly store: EventStore,
    @Inject(PG_POOL) private readonly pool: pg.Pool,
  ) {}

  @MessagePattern(RuleSubjects.create)
  create(@Payload() message: unknown): Promise<Reply<RuleView>> {
    return this.commands.run(message, 'rules.create', async (uow, data) => {
      const input = parse(CreateRuleCommand, data);
      if (!input.ok) return input;
      const bytes = Buffer.byteLength(JSON.stringify(input.value.definition));
      if (bytes > BUS_LIMITS.ruleBytes) {
        return fail(
          'payload_too_large',
          'rule_too_large',
          `the rule is ${bytes} bytes; a rule may be at most ${BUS_LIMITS.ruleBytes} bytes`,
          { limitBytes: BUS_LIMITS.ruleBytes, bytes },
        );
      }
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
      const missing = await missingProviders(uow, providers);
      // A fresh id has no stream to read; were it taken, the append would conflict and retry.
      return this.decide(uow, rules.initialState(randomUUID()), {
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
    return this.commands.run(message, 'rules.enable', async (uow, data) => {
      const input = parse(ruleId, data);
      if (!input.ok) return input;
      const state = await uow.load(rules, input.value.ruleId);
      if (!visible(state, uow)) return notFound(input.value.ruleId);
      const missing = await missingProviders(uow, state.providers);
      return this.decide(uow, state, { kind: 'enable', missingProviders: missing });
    });
  }

  @MessagePattern(RuleSubjects.disable)
  disable(@Payload() message: unknown): Promise<Reply<RuleView>> {
    return this.commands.run(message, 'rules.disable', async (uow, data) => {
      const input = parse(ruleId.extend({ reason: z.string().min(1).max(500).optional() }), data);
      if (!input.ok) return input;
      const state = await uow.load(rules, input.value.ruleId);
      if (!visible(state, uow)) return notFound(input.value.ruleId);
      return this.decide(uow, state, {
        kind: 'disable',
        reason: input.value.reason ?? null,
      });
    });
  }

  @MessagePattern(RuleSubjects.delete)
  delete(@Payload() message: unknown): Promise<Reply<{ ruleId: string }>> {
    return this.commands.run(message, 'rules.delete', async (uow, data) => {
      const input = parse(ruleId, data);
      if (!input.ok) return input;
      const state = await uow.load(rules, input.value.ruleId);
      if (!visible(state, uow)) return notFound(input.value.ruleId);
      const reply = await this.decide(uow, state, { kind: 'delete' });
      return reply.ok ? ok({ ruleId: state.id }) : reply;
    });
  }

  @MessagePattern(RuleSubjects.get)
  get(@Payload() message: unknown): Promise<Reply<RuleView>> {
    return this.commands.query(message, async (envelope) => {
      const input = parse(ruleId, envelope.data);
      if (!input.ok) return input;
      const view = await readRuleView(this.pool, envelope.workspaceId!, input.value.ruleId);
      return view ? ok(view) : notFound(input.value.ruleId);
    });
  }

  @MessagePattern(RuleSubjects.list)
  list(@Payload() message: unknown): Promise<Reply<RuleView[]>> {
    return this.commands.query(message, async (envelope) => {
      const input = parse(ListRulesQuery, envelope.data);
      if (!input.ok) return input;
      const { rows } = await this.pool.query<{ view: RuleView }>(
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
    return this.commands.query(message, async (envelope) => {
      const input = parse(ruleId, envelope.data);
      if (!input.ok) return input;
      const events = await this.store.readStream(ruleStreamId(input.value.ruleId));
      if (events.length === 0 || events[0]!.metadata.workspaceId !== envelope.workspaceId) {
        return notFound(input.value.ruleId);
      }
      return ok(events.map(toHistoryEntry));
    });
  }

  private async decide(
    uow: UnitOfWork,
    state: RuleState,
    command: Parameters<typeof rules.decide>[0],
  ): Promise<Reply<RuleView>> {
    const decided = await uow.decide(rules, state, command);
    return decided.ok ? ok(toRuleView(decided.state)) : decided;
  }
}
