import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Inject,
  Param,
  Post,
  Query,
  Req,
} from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import {
  RulesEngineSubjects,
  RuleSubjects,
  validateRuleDefinition,
  type RuleRunView,
  type RunsPage,
  type TestRuleCommand,
  type CreateRuleCommand,
  type DeleteRuleCommand,
  type DisableRuleCommand,
  type EnableRuleCommand,
  type RuleView,
} from '#libs/contracts/src/index.js';
import { Auth, Authenticated, RequireRole, type AuthContext } from '../auth/index.js';
import { CommandBus, commandContextOf } from '../bus/index.js';
import { ApiError } from '../errors/api-error.js';
import { validate } from '../http/validate.js';
import {
  commandThenCatchUp,
  INTEGRATION_READ_MODEL,
  type ProjectionWaiter,
} from '../projections/index.js';
import { RuleReadModel, ruleViewToResource, type RuleResource } from './rule-read-model.js';

const ListQuery = z.object({
  enabled: z
    .enum(['true', 'false'], { message: 'must be true or false' })
    .transform((v) => v === 'true')
    .optional(),
  provider: z.string().trim().min(1).max(50).optional(),
});

const RunsQuery = z.object({
  page: z.coerce.number().int().min(1).max(100_000).default(1),
  per_page: z.coerce.number().int().min(1).max(100).default(20),
});

const TestBody = z
  .strictObject({
    trigger: z
      .strictObject({
        event: z.string().trim().min(1).max(200).optional(),
        data: z.record(z.string(), z.unknown()).optional(),
      })
      .optional(),
  })
  .default({});

const DisableBody = z
  .strictObject({ reason: z.string().trim().min(1).max(500).optional() })
  .default({});

const EXAMPLE_RULE = {
  name: 'Nudge stale pull requests',
  trigger: { event: 'pull_request.opened' },
  conditions: [{ provider: 'github', check: 'pr.age', operator: 'gt', value: 48 }],
  actions: [
    { provider: 'slack', method: 'send_message', params: { channel: '#eng', text: 'PR waiting' } },
  ],
};

/**
 * Rules and policies, stored by the integration service. The body of `POST /api/rules` is the
 * rule itself, in JSON or in YAML (`Content-Type: application/yaml`), with an optional top-level
 * `enabled: false`. Writes need owner, admin or member; viewers read.
 */
@ApiTags('rules')
@Controller('api/rules')
@Authenticated()
export class RulesController {
  constructor(
    @Inject(CommandBus) private readonly bus: CommandBus,
    @Inject(RuleReadModel) private readonly readModel: RuleReadModel,
    @Inject(INTEGRATION_READ_MODEL) private readonly projection: ProjectionWaiter,
  ) {}

  @Post()
  @RequireRole('owner', 'admin', 'member')
  @ApiOperation({ summary: 'Create a rule or policy (JSON or YAML body)' })
  @ApiConsumes('application/json', 'application/yaml')
  @ApiBody({ schema: { example: EXAMPLE_RULE } })
  async create(@Auth() auth: AuthContext, @Body() body: unknown, @Req() request: FastifyRequest) {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw ApiError.validation([{ field: 'body', message: 'expected a rule object' }]);
    }
    const { enabled, ...definition } = body as Record<string, unknown>;
    const issues = [];
    if (enabled !== undefined && typeof enabled !== 'boolean') {
      issues.push({ field: 'enabled', message: 'must be true or false' });
    }
    const checked = validateRuleDefinition(definition);
    if (!checked.ok) issues.push(...checked.issues);
    if (issues.length > 0) throw ApiError.validation(issues, 'the rule is invalid');
    const command: CreateRuleCommand = {
      definition,
      ...(enabled === undefined ? {} : { enabled: enabled as boolean }),
    };
    return { rule: await this.write(RuleSubjects.create, command, auth, request) };
  }

  @Get()
  @ApiOperation({ summary: 'List rules and policies, each with enabled and why not' })
  @ApiQuery({ name: 'enabled', required: false, enum: ['true', 'false'] })
  @ApiQuery({ name: 'provider', required: false, example: 'github' })
  async list(@Auth() auth: AuthContext, @Query() query: unknown) {
    const filter = validate(ListQuery, query, 'query');
    return { rules: await this.readModel.list(auth.workspaceId, filter) };
  }

  @Get(':id')
  @ApiOperation({ summary: 'One rule' })
  async get(@Auth() auth: AuthContext, @Param('id') id: string) {
    return { rule: await this.found(auth, id) };
  }

  @Delete(':id')
  @HttpCode(204)
  @RequireRole('owner', 'admin', 'member')
  @ApiOperation({ summary: 'Delete a rule' })
  async remove(@Auth() auth: AuthContext, @Param('id') id: string, @Req() request: FastifyRequest) {
    await this.found(auth, id);
    const command: DeleteRuleCommand = { ruleId: id };
    await commandThenCatchUp(
      this.bus,
      this.projection,
      RuleSubjects.delete,
      command,
      commandContextOf(request, auth),
    );
  }

  @Post(':id/enable')
  @HttpCode(200)
  @RequireRole('owner', 'admin', 'member')
  @ApiOperation({
    summary: 'Enable a rule; 409 naming the provider while one it needs is not connected',
  })
  async enable(@Auth() auth: AuthContext, @Param('id') id: string, @Req() request: FastifyRequest) {
    await this.found(auth, id);
    const command: EnableRuleCommand = { ruleId: id };
    return { rule: await this.write(RuleSubjects.enable, command, auth, request) };
  }

  @Post(':id/disable')
  @HttpCode(200)
  @RequireRole('owner', 'admin', 'member')
  @ApiOperation({ summary: 'Disable a rule by hand' })
  async disable(
    @Auth() auth: AuthContext,
    @Param('id') id: string,
    @Body() body: unknown,
    @Req() request: FastifyRequest,
  ) {
    const { reason } = validate(DisableBody, body ?? {});
    await this.found(auth, id);
    const command: DisableRuleCommand = { ruleId: id, ...(reason === undefined ? {} : { reason }) };
    return { rule: await this.write(RuleSubjects.disable, command, auth, request) };
  }

  @Get(':id/runs')
  @ApiOperation({ summary: 'Runs of a rule, newest first (page, per_page)' })
  @ApiQuery({ name: 'page', required: false, example: 1 })
  @ApiQuery({ name: 'per_page', required: false, example: 20 })
  async runs(
    @Auth() auth: AuthContext,
    @Param('id') id: string,
    @Query() query: unknown,
    @Req() request: FastifyRequest,
  ) {
    const { page, per_page } = validate(RunsQuery, query, 'query');
    await this.found(auth, id);
    const { value } = await this.bus.call<RunsPage>(
      RulesEngineSubjects.runs,
      { ruleId: id, page, perPage: per_page },
      commandContextOf(request, auth),
    );
    return value;
  }

  @Get(':id/runs/:runId')
  @ApiOperation({ summary: 'One run of a rule: trigger, conditions with their values, actions' })
  async run(
    @Auth() auth: AuthContext,
    @Param('id') id: string,
    @Param('runId') runId: string,
    @Req() request: FastifyRequest,
  ) {
    await this.found(auth, id);
    const { value } = await this.bus.call<RuleRunView>(
      RulesEngineSubjects.run,
      { ruleId: id, runId },
      commandContextOf(request, auth),
    );
    return { run: value };
  }

  @Post(':id/test')
  @HttpCode(200)
  @RequireRole('owner', 'admin', 'member')
  @ApiOperation({
    summary:
      'Evaluate a rule live with an optional trigger payload; performs nothing, answers the would-be run',
  })
  async test(
    @Auth() auth: AuthContext,
    @Param('id') id: string,
    @Body() body: unknown,
    @Req() request: FastifyRequest,
  ) {
    const { trigger } = validate(TestBody, body ?? {});
    const rule = await this.found(auth, id);
    const command: TestRuleCommand = {
      ruleId: id,
      name: rule.name,
      definition: rule.definition,
      ...(trigger === undefined ? {} : { trigger }),
    };
    const { value } = await this.bus.call<RuleRunView>(
      RulesEngineSubjects.test,
      command,
      commandContextOf(request, auth),
    );
    return { run: value };
  }

  /** The rule of this workspace, or 404: another workspace's rule id is never acted upon. */
  private async found(auth: AuthContext, id: string): Promise<RuleResource> {
    const rule = await this.readModel.byId(auth.workspaceId, id);
    if (!rule) throw new ApiError('not_found', 'rule_not_found', `no rule ${id}`);
    return rule;
  }

  /** Sends the command, waits for the read model, answers the rule as a next read would show it. */
  private async write(
    subject: string,
    command: unknown,
    auth: AuthContext,
    request: FastifyRequest,
  ): Promise<RuleResource> {
    const { value, caughtUp } = await commandThenCatchUp<RuleView>(
      this.bus,
      this.projection,
      subject,
      command,
      commandContextOf(request, auth),
    );
    const projected = caughtUp ? await this.readModel.byId(auth.workspaceId, value.id) : undefined;
    return projected ?? ruleViewToResource(value);
  }
}
