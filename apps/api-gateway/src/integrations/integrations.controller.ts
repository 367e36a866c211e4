import {
  Body,
  Controller,
  Get,
  HttpCode,
  Inject,
  Param,
  Post,
  Query,
  Req,
  Res,
} from '@nestjs/common';
import { ApiBody, ApiOperation, ApiParam, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import {
  connectPayloadSchema,
  describeActions,
  describeChecks,
  IntegrationSubjects,
  type CheckIntegrationHealthQuery,
  type ConnectIntegrationCommand,
  type DisconnectIntegrationCommand,
  type DisconnectIntegrationResult,
  type IntegrationHealthResult,
  type IntegrationView,
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
import { IntegrationReadModel, toResource } from './integration-read-model.js';
import { providerOrNotFound } from './provider.js';
import { ReposQuery } from './repos-query.js';
import { ListQuery } from './list-query.js';
import { IntegrationListCache } from './integration-list-cache.js';

const DisconnectBody = z
  .strictObject({
    reason: z.string().trim().min(1).max(500).optional(),
    integrationId: z.string().uuid('must be an integration id').optional(),
  })
  .default({});

const PROVIDER_PARAM = {
  name: 'provider',
  description:
    'github, slack, vercel, supabase, email, ecr, acr, gcr, artifactory, docker-hub, quay',
  example: 'github',
};

/**
 * The TinyOps Integrations API. Reads come from the gateway's projection of the integration
 * service's events; commands go over NATS to the integration service, and their answers wait
 * (bounded) until the projection shows the write. Connect of an already connected provider is a
 * 409 `already_connected` (not an idempotent 200: a second connect with other data would
 * otherwise be silently ignored); use `Idempotency-Key` to retry a connect safely.
 */
@ApiTags('integrations')
@Controller('api/integrations')
@Authenticated()
export class IntegrationsController {
  constructor(
    @Inject(CommandBus) private readonly bus: CommandBus,
    @Inject(IntegrationReadModel) private readonly readModel: IntegrationReadModel,
    @Inject(INTEGRATION_READ_MODEL) private readonly projection: ProjectionWaiter,
    @Inject(IntegrationListCache) private readonly listCache: IntegrationListCache,
  ) {}

  /** Served by `serveIntegrationListFast` in the running gateway; same answer either way. */
  @Get()
  @ApiOperation({ summary: 'List the connected integrations of the workspace' })
  @ApiQuery({ name: 'status', required: false, enum: ['connected', 'disconnected', 'all'] })
  async list(@Auth() auth: AuthContext, @Query() query: unknown) {
    const { status } = validate(ListQuery, query, 'query');
    return JSON.parse(await this.listCache.body(auth.workspaceId, status)) as unknown;
  }

  @Get(':id')
  @ApiOperation({ summary: 'One integration of the workspace by id' })
  async byId(@Auth() auth: AuthContext, @Param('id') id: string) {
    const integration = await this.readModel.byId(auth.workspaceId, id);
    if (!integration) {
      throw new ApiError('not_found', 'integration_not_found', `no integration ${id}`);
    }
    return { integration };
  }

  @Post(':provider/connect')
  @RequireRole('owner', 'admin')
  @ApiOperation({ summary: 'Connect a provider (owner or admin). 409 if already connected.' })
  @ApiParam(PROVIDER_PARAM)
  @ApiBody({ schema: { example: { installationId: '12345678', accountLogin: 'acme-org' } } })
  @ApiResponse({ status: 201, description: 'Connected for the first time' })
  @ApiResponse({ status: 200, description: 'Reconnected' })
  async connect(
    @Auth() auth: AuthContext,
    @Param('provider') name: string,
    @Body() body: unknown,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const provider = providerOrNotFound(name);
    const payload = validate(connectPayloadSchema(provider), body ?? {});
    const command: ConnectIntegrationCommand = { provider: provider.name, payload };
    const { value } = await commandThenCatchUp<IntegrationView>(
      this.bus,
      this.projection,
      IntegrationSubjects.connect,
      command,
      commandContextOf(request, auth),
    );
    const firstConnect = value.version === 1;
    reply.status(firstConnect ? 201 : 200);
    return { integration: toResource(value) };
  }

  @Post(':provider/disconnect')
  @HttpCode(200)
  @RequireRole('owner', 'admin')
  @ApiOperation({
    summary: 'Disconnect a provider (owner or admin); disables every rule that depends on it',
  })
  @ApiParam(PROVIDER_PARAM)
  async disconnect(
    @Auth() auth: AuthContext,
    @Param('provider') name: string,
    @Body() body: unknown,
    @Req() request: FastifyRequest,
  ) {
    const provider = providerOrNotFound(name);
    const { reason, integrationId } = validate(DisconnectBody, body ?? {});
    const command: DisconnectIntegrationCommand = {
      provider: provider.name,
      ...(reason === undefined ? {} : { reason }),
      ...(integrationId === undefined ? {} : { integrationId }),
    };
    const { value } = await commandThenCatchUp<DisconnectIntegrationResult>(
      this.bus,
      this.projection,
      IntegrationSubjects.disconnect,
      command,
      commandContextOf(request, auth),
    );
    return { integration: toResource(value.integration), disabledRuleIds: value.disabledRuleIds };
  }

  @Get(':provider/checks')
  @ApiOperation({ summary: 'Checks a rule condition can use with this provider' })
  @ApiParam(PROVIDER_PARAM)
  checks(@Param('provider') name: string) {
    const provider = providerOrNotFound(name);
    return { provider: provider.name, checks: describeChecks(provider) };
  }

  @Get(':provider/actions')
  @ApiOperation({ summary: 'Actions a rule can take with this provider' })
  @ApiParam(PROVIDER_PARAM)
  actions(@Param('provider') name: string) {
    const provider = providerOrNotFound(name);
    return { provider: provider.name, actions: describeActions(provider) };
  }

  /**
   * Repositories of a connected provider. GitHub's inventory is served by the scanner's
   * `GET /api/integrations/github/repos` (a static route, which Fastify prefers over this one);
   * the other providers have no repositories, so a connected one answers an empty page in the
   * same shape, and a provider that is not connected answers 404.
   */
  @Get(':provider/repos')
  @ApiOperation({ summary: 'Repositories accessible through the integration' })
  @ApiParam(PROVIDER_PARAM)
  @ApiQuery({ name: 'page', required: false, example: 1 })
  @ApiQuery({ name: 'per_page', required: false, example: 30 })
  @ApiQuery({ name: 'search', required: false, example: 'api' })
  async repos(@Auth() auth: AuthContext, @Param('provider') name: string, @Query() query: unknown) {
    const provider = providerOrNotFound(name);
    const { page, per_page } = validate(ReposQuery, query, 'query');
    const integration = await this.readModel.byProvider(auth.workspaceId, provider.name);
    if (integration?.status !== 'connected') {
      throw new ApiError('not_found', 'not_connected', `${provider.name} is not connected`);
    }
    return { repos: [], total: 0, page, per_page };
  }

  @Get(':provider/health')
  @ApiOperation({
    summary: 'Whether the connection is healthy: calls the provider with the stored credentials',
  })
  @ApiParam(PROVIDER_PARAM)
  async health(
    @Auth() auth: AuthContext,
    @Param('provider') name: string,
    @Req() request: FastifyRequest,
  ) {
    const provider = providerOrNotFound(name);
    const query: CheckIntegrationHealthQuery = { provider: provider.name };
    const { value } = await this.bus.call<IntegrationHealthResult>(
      IntegrationSubjects.checkHealth,
      query,
      commandContextOf(request, auth),
    );
    return value;
  }
}
