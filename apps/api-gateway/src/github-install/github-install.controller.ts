import { Controller, Get, HttpCode, Inject, Post, Query, Req, Res } from '@nestjs/common';
import { ApiOperation, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import {
  IntegrationSubjects,
  type ConnectIntegrationCommand,
  type IntegrationView,
  type VerifyGithubInstallationCommand,
} from '#libs/contracts/src/index.js';
import { SERVICE_CONFIG } from '#libs/service-kit/src/index.js';
import { Auth, RequireRole, WorkspaceStore, type AuthContext } from '../auth/index.js';
import { CommandBus, type CommandContext } from '../bus/index.js';
import { ApiError } from '../errors/api-error.js';
import { validate } from '../http/validate.js';
import {
  commandThenCatchUp,
  INTEGRATION_READ_MODEL,
  type ProjectionWaiter,
} from '../projections/index.js';
import { IntegrationReadModel, toResource } from '../integrations/integration-read-model.js';
import type { GithubInstallConfig } from './github-install.config.js';
import {
  CodeRefused,
  GithubUnreachable,
  GithubUserAccess,
  isConfigured,
} from './github-user-access.js';
import { InstallStateSigner, type InstallState } from './install-state.js';

const SetupQuery = z.object({
  installation_id: z
    .string()
    .regex(/^\d{1,20}$/, 'expected the installation id, digits only')
    .optional(),
  setup_action: z.enum(['install', 'update', 'request']).optional(),
  state: z.string().min(1, 'required').max(2_000),
  code: z.string().min(1).max(200).optional(),
});

/**
 * The GitHub App's install flow. An owner or admin asks for the install URL, which carries a
 * signed, expiring `state` naming their workspace and themselves; GitHub sends the browser back
 * to the App's Setup URL (`GET /api/integrations/github/setup`) with the installation id, the
 * state and, as the App requests user authorization during installation, an OAuth code. The
 * state authenticates that call (no API key: it is a browser redirect); the code, exchanged for
 * the user's token, shows with `GET /user/installations` that this user can access the
 * installation. Only then is it verified for the workspace and connected.
 */
@ApiTags('integrations')
@Controller('api/integrations/github')
export class GithubInstallController {
  private readonly access: GithubUserAccess | undefined;
  private readonly signer: InstallStateSigner | undefined;

  constructor(
    @Inject(CommandBus) private readonly bus: CommandBus,
    @Inject(INTEGRATION_READ_MODEL) private readonly projection: ProjectionWaiter,
    @Inject(IntegrationReadModel) private readonly readModel: IntegrationReadModel,
    @Inject(WorkspaceStore) private readonly members: WorkspaceStore,
    @Inject(SERVICE_CONFIG) private readonly config: GithubInstallConfig,
  ) {
    if (isConfigured(config)) {
      this.access = new GithubUserAccess(config);
      this.signer = new InstallStateSigner(config.GITHUB_APP_CLIENT_SECRET);
    }
  }

  @Post('install')
  @HttpCode(201)
  @RequireRole('owner', 'admin')
  @ApiOperation({
    summary: 'The URL that installs the GitHub App for this workspace (owner or admin)',
  })
  install(@Auth() auth: AuthContext) {
    const { access, signer } = this.flow();
    const expiresAt = Date.now() + this.config.GITHUB_INSTALL_STATE_TTL_SECONDS * 1000;
    const state = signer.sign({
      workspaceId: auth.workspaceId,
      memberId: auth.memberId,
      expiresAt,
    });
    return {
      installUrl: access.installUrl(state),
      state,
      expiresAt: new Date(expiresAt).toISOString(),
    };
  }

  @Get('setup')
  @ApiOperation({
    summary: "The GitHub App's Setup URL: GitHub redirects here after an installation",
  })
  @ApiQuery({ name: 'installation_id', required: false })
  @ApiQuery({ name: 'setup_action', required: false, enum: ['install', 'update', 'request'] })
  @ApiQuery({ name: 'state', required: true })
  @ApiQuery({ name: 'code', required: false })
  @ApiResponse({ status: 201, description: 'Installed and connected for the workspace' })
  @ApiResponse({ status: 302, description: 'No code came: on to GitHub for user authorization' })
  async setup(
    @Query() query: unknown,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const { access, signer } = this.flow();
    const params = validate(SetupQuery, query, 'query');
    const state = await this.installer(signer, params.state);
    if (params.setup_action === 'request') {
      reply.status(202);
      return {
        status: 'install_requested',
        message: 'an owner of the GitHub account must approve the installation on GitHub',
      };
    }
    const installationId = params.installation_id ?? state.installationId;
    if (!installationId) {
      throw ApiError.validation([{ field: 'installation_id', message: 'required' }]);
    }
    if (!params.code) {
      const expiresAt = Date.now() + this.config.GITHUB_INSTALL_STATE_TTL_SECONDS * 1000;
      reply.redirect(
        access.authorizeUrl(signer.sign({ ...state, installationId, expiresAt })),
        302,
      );
      return reply;
    }
    const found = await this.accessible(access, params.code, installationId);
    const context: CommandContext = {
      correlationId: request.id,
      workspaceId: state.workspaceId,
      actor: state.memberId,
    };
    const verify: VerifyGithubInstallationCommand = { installationId };
    await this.bus.call(IntegrationSubjects.verifyGithubInstallation, verify, context);
    const connect: ConnectIntegrationCommand = {
      provider: 'github',
      payload: { installationId, accountLogin: found.accountLogin },
    };
    try {
      const { value } = await commandThenCatchUp<IntegrationView>(
        this.bus,
        this.projection,
        IntegrationSubjects.connect,
        connect,
        context,
      );
      reply.status(value.version === 1 ? 201 : 200);
      return { integration: toResource(value) };
    } catch (error) {
      // Installed again, or a repository selection changed (`update`): already connected here.
      const current = await this.readModel.byProvider(state.workspaceId, 'github');
      if (
        error instanceof ApiError &&
        error.code === 'already_connected' &&
        current?.config.installationId === installationId
      ) {
        reply.status(200);
        return { integration: current };
      }
      throw error;
    }
  }

  private flow(): { access: GithubUserAccess; signer: InstallStateSigner } {
    if (!this.access || !this.signer) {
      throw new ApiError(
        'unavailable',
        'install_flow_not_configured',
        'the GitHub App install flow is not configured (GITHUB_APP_SLUG, GITHUB_APP_CLIENT_ID, GITHUB_APP_CLIENT_SECRET)',
      );
    }
    return { access: this.access, signer: this.signer };
  }

  /** The member the state names, if the state is genuine and they may still install. */
  private async installer(signer: InstallStateSigner, token: string): Promise<InstallState> {
    const checked = signer.verify(token);
    if (!checked.ok) {
      throw new ApiError(
        'unauthorized',
        checked.reason === 'expired' ? 'state_expired' : 'invalid_state',
        checked.reason === 'expired'
          ? 'the install link expired; ask for a new one'
          : 'the state is not one this service issued',
      );
    }
    const member = await this.members.getMember(checked.state.workspaceId, checked.state.memberId);
    if (!member || (member.role !== 'owner' && member.role !== 'admin')) {
      throw new ApiError(
        'forbidden',
        'forbidden',
        'the member who started this install is no longer an owner or admin of the workspace',
      );
    }
    return checked.state;
  }

  private async accessible(access: GithubUserAccess, code: string, installationId: string) {
    try {
      const found = await access.installationFor(code, installationId);
      if (!found) {
        throw new ApiError(
          'forbidden',
          'installation_not_accessible',
          `the GitHub user who authorized cannot access installation ${installationId}`,
        );
      }
      return found;
    } catch (error) {
      if (error instanceof CodeRefused) {
        throw new ApiError(
          'unauthorized',
          'oauth_code_refused',
          'GitHub refused the authorization code (wrong, used or expired); install again',
        );
      }
      if (error instanceof GithubUnreachable) {
        throw new ApiError(
          'unavailable',
          'github_unavailable',
          'GitHub did not answer; retry',
          undefined,
          5,
        );
      }
      throw error;
    }
  }
}
