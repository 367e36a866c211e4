import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Inject,
  Param,
  Patch,
  Post,
  Query,
  Req,
  Res,
  UseFilters,
  UseGuards,
  UseInterceptors,
} from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  IntegrationSubjects,
  type DeleteIntegrationResult,
  type IntegrationView,
} from '#libs/contracts/src/index.js';
import { Auth, RequirePermission, type AuthContext } from '../auth/index.js';
import { CommandBus, commandContextOf } from '../bus/index.js';
import { ApiError } from '../errors/api-error.js';
import {
  INTEGRATION_READ_MODEL,
  READ_YOUR_WRITES_MS,
  type ProjectionWaiter,
} from '../projections/index.js';
import { createCommand } from './create-command.js';
import { encodeCursor } from './cursor.js';
import { DeletionsProjection } from './deletions.projection.js';
import { CURSOR_SECRET } from './tokens.js';
import {
  integrationResource,
  listDocumentText,
  RestLinks,
  restIntegrationFromView,
  settingsResource,
  singleDocument,
  type ListLinks,
  type RestIntegration,
} from './integration-documents.js';
import { pointAt, withoutPrefix } from './field-pointers.js';
import { JsonApiError } from './jsonapi.js';
import { JsonApiExceptionFilter } from './jsonapi-exception.filter.js';
import { JsonApiResponseInterceptor } from './jsonapi-response.interceptor.js';
import { RestOperation } from './openapi.js';
import { parsePageRequest, type PageRequest } from './page-request.js';
import { RestListCache } from './rest-list-cache.js';
import {
  parseCreateDocument,
  parseSettingsDocument,
  parseUpdateDocument,
} from './request-documents.js';
import { RestIntegrationsStore, type ListKey } from './rest-integrations.store.js';
import { RestQueryGuard } from './rest-query.guard.js';
import { RestVersionGuard, versionOf } from './rest-version.guard.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const READ = 'org.integration.read';
const EDIT = 'org.integration.edit';

/**
 * seeds/002: an org's integrations and their settings, as JSON:API. Reads come from the
 * gateway's read model; writes go to the integration service over the bus and answer once the
 * read model has applied them, so the next read by the same client sees the change.
 */
@ApiTags('REST: org integrations (JSON:API)')
@Controller('rest/orgs/:org_id/integrations')
@UseGuards(RestVersionGuard, RestQueryGuard)
@UseFilters(JsonApiExceptionFilter)
@UseInterceptors(JsonApiResponseInterceptor)
export class RestIntegrationsController {
  constructor(
    @Inject(RestIntegrationsStore) private readonly store: RestIntegrationsStore,
    @Inject(CommandBus) private readonly commands: CommandBus,
    @Inject(INTEGRATION_READ_MODEL) private readonly projection: ProjectionWaiter,
    @Inject(DeletionsProjection) private readonly deletions: DeletionsProjection,
    @Inject(RestListCache) private readonly listCache: RestListCache,
    @Inject(CURSOR_SECRET) private readonly cursorSecret: Buffer,
  ) {}

  @Get()
  @RequirePermission(READ)
  @RestOperation({
    summary: 'List all integrations for an organization',
    description:
      'Cursor pagination: follow links.next / links.prev. The order is the order of creation, so ' +
      'integrations created while you page appear after the others. meta counts the targets that ' +
      'hard deletions orphaned.',
    permission: READ,
    paged: true,
  })
  async list(
    @Req() request: FastifyRequest,
    @Auth() auth: AuthContext,
    @Param('org_id') orgId: string,
    @Query() query: Record<string, unknown>,
  ) {
    this.checkOrg(orgId, auth);
    const parsed = parsePageRequest(query, orgId, this.cursorSecret);
    if (!parsed.ok) {
      const { parameter, code, detail } = parsed.problem;
      throw JsonApiError.of(400, code, detail, { parameter });
    }
    const { page } = parsed;
    const links = this.links(request, orgId);
    // Everything the page's text depends on: org (bound above), version, limit, cursor.
    const key = [links.version, page.limit, query.starting_after, query.ending_before].join('|');
    return this.listCache.page(orgId, key, () => this.renderPage(orgId, page, query, links));
  }

  private async renderPage(
    orgId: string,
    page: PageRequest,
    query: Record<string, unknown>,
    links: RestLinks,
  ): Promise<string> {
    const [result, deletions] = await Promise.all([
      this.store.page(orgId, page, links),
      this.store.deletions(orgId),
    ]);
    const limit = { limit: String(page.limit) };
    const cursor = (key: ListKey) => encodeCursor({ orgId, ...key }, this.cursorSecret);
    const self: Record<string, string> = { ...limit };
    if (page.after) self.starting_after = String(query.starting_after);
    if (page.before) self.ending_before = String(query.ending_before);
    const { first, last } = result;
    const pageLinks: ListLinks = {
      self: links.collection(self),
      first: links.collection(limit),
      ...(result.hasNext && last
        ? { next: links.collection({ ...limit, starting_after: cursor(last) }) }
        : {}),
      ...(result.hasPrev && first
        ? { prev: links.collection({ ...limit, ending_before: cursor(first) }) }
        : {}),
    };
    return listDocumentText(result.data, pageLinks, {
      orphaned_targets: deletions.orphanedTargets,
      deleted_integrations: deletions.deletedIntegrations.map((d) => ({
        id: d.id,
        integration_type: d.integrationType,
        orphaned_targets: d.orphanedTargets,
        deleted_at: d.deletedAt,
      })),
    });
  }

  @Post()
  @HttpCode(201)
  @RequirePermission(EDIT)
  @RestOperation({
    summary: 'Create an integration for an organization',
    description: 'Credentials are validated for shape, stored encrypted, and never returned.',
    permission: EDIT,
    body: {
      data: {
        type: 'integration',
        attributes: {
          integration_type: 'ecr',
          profile_name: 'production registry',
          credentials: { region: 'us-east-1', role_arn: 'arn:aws:iam::123456789012:role/scanner' },
        },
      },
    },
  })
  async create(
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
    @Auth() auth: AuthContext,
    @Param('org_id') orgId: string,
    @Body() body: unknown,
  ) {
    this.checkOrg(orgId, auth);
    const attributes = parseCreateDocument(body);
    const integration = await this.write(
      request,
      auth,
      orgId,
      IntegrationSubjects.create,
      createCommand(attributes),
      (field) => field.replace(/^config\./, 'credentials.'),
    );
    const links = this.links(request, orgId);
    void reply.header('location', links.integration(integration.id));
    return singleDocument(integrationResource(integration, links));
  }

  @Get(':integration_id')
  @RequirePermission(READ)
  @RestOperation({
    summary: 'Get a specific integration',
    description: 'One integration of the organization, without its credentials.',
    permission: READ,
    integrationId: true,
  })
  async get(
    @Req() request: FastifyRequest,
    @Auth() auth: AuthContext,
    @Param('org_id') orgId: string,
    @Param('integration_id') integrationId: string,
  ) {
    const integration = await this.existing(orgId, integrationId, auth);
    return singleDocument(integrationResource(integration, this.links(request, orgId)));
  }

  @Patch(':integration_id')
  @RequirePermission(EDIT)
  @RestOperation({
    summary: 'Update an existing integration',
    description:
      'Partial: only the given fields change. profile_name and credentials (region, role ARN, ' +
      'or both) can change; integration_type cannot (400).',
    permission: EDIT,
    integrationId: true,
    body: {
      data: {
        type: 'integration',
        id: '00000000-0000-4000-8000-000000000001',
        attributes: { profile_name: 'renamed' },
      },
    },
  })
  async update(
    @Req() request: FastifyRequest,
    @Auth() auth: AuthContext,
    @Param('org_id') orgId: string,
    @Param('integration_id') integrationId: string,
    @Body() body: unknown,
  ) {
    const current = await this.existing(orgId, integrationId, auth);
    const attributes = parseUpdateDocument(body, integrationId);
    let integration = current;
    if (Object.keys(attributes).length > 0) {
      integration = await this.write(
        request,
        auth,
        orgId,
        IntegrationSubjects.update,
        { integrationId, ...attributes },
        (field) => field,
      );
    }
    return singleDocument(integrationResource(integration, this.links(request, orgId)));
  }

  @Delete(':integration_id')
  @HttpCode(204)
  @RequirePermission(EDIT)
  @RestOperation({
    summary: 'Delete an integration',
    description:
      'Hard delete: 204, then 404. Targets that referenced it are orphaned (counted in the meta ' +
      'of the next list). With broker mode on, 409: turn broker_enabled off first.',
    permission: EDIT,
    integrationId: true,
  })
  async remove(
    @Req() request: FastifyRequest,
    @Auth() auth: AuthContext,
    @Param('org_id') orgId: string,
    @Param('integration_id') integrationId: string,
  ): Promise<void> {
    const current = await this.existing(orgId, integrationId, auth);
    if (current.settings.broker_enabled) throw brokerConflict(request, orgId, integrationId);
    const reply = await this.commands.request<DeleteIntegrationResult>(
      IntegrationSubjects.delete,
      { integrationId },
      commandContextOf(request, auth),
    );
    if (!reply.ok) {
      // The service is the authority: broker mode may have been switched on since we looked.
      if (reply.error.code === 'broker_enabled')
        throw brokerConflict(request, orgId, integrationId);
      throw ApiError.fromReply(reply.error);
    }
    // Both read models this API shows must have applied the deletion: the integration gone,
    // and what it orphaned counted for the next list.
    await Promise.all([
      this.projection.waitFor(reply.position, READ_YOUR_WRITES_MS),
      this.deletions.waiter.waitFor(reply.position, READ_YOUR_WRITES_MS),
    ]);
  }

  @Get(':integration_id/settings')
  @RequirePermission(READ)
  @RestOperation({
    summary: 'Get integration settings',
    description: 'broker_enabled, and container_app_scan_enabled for container registries.',
    permission: READ,
    integrationId: true,
    // The seed lists the paging parameters here too; a single resource ignores them.
    paged: true,
  })
  async getSettings(
    @Req() request: FastifyRequest,
    @Auth() auth: AuthContext,
    @Param('org_id') orgId: string,
    @Param('integration_id') integrationId: string,
  ) {
    const integration = await this.existing(orgId, integrationId, auth);
    return singleDocument(settingsResource(integration, this.links(request, orgId)));
  }

  @Patch(':integration_id/settings')
  @RequirePermission(EDIT)
  @RestOperation({
    summary: 'Update integration settings',
    description:
      'Partial. container_app_scan_enabled applies to container registry integrations only ' +
      '(400 otherwise); broker_enabled turns broker mode on or off.',
    permission: EDIT,
    integrationId: true,
    body: {
      data: {
        type: 'integration_settings',
        id: '00000000-0000-4000-8000-000000000001',
        attributes: { container_app_scan_enabled: true },
      },
    },
  })
  async updateSettings(
    @Req() request: FastifyRequest,
    @Auth() auth: AuthContext,
    @Param('org_id') orgId: string,
    @Param('integration_id') integrationId: string,
    @Body() body: unknown,
  ) {
    const current = await this.existing(orgId, integrationId, auth);
    const settings = parseSettingsDocument(body, integrationId);
    if (
      settings.container_app_scan_enabled !== undefined &&
      current.kind !== 'container-registry'
    ) {
      throw JsonApiError.of(
        400,
        'setting_not_applicable',
        `container_app_scan_enabled applies only to container registry integrations; this one is ${current.integrationType}.`,
        { pointer: '/data/attributes/container_app_scan_enabled' },
      );
    }
    const integration = await this.write(
      request,
      auth,
      orgId,
      IntegrationSubjects.updateSettings,
      { integrationId, settings },
      withoutPrefix('settings.'),
    );
    return singleDocument(settingsResource(integration, this.links(request, orgId)));
  }

  /** A token from another org learns nothing about this one: the org is simply not found. */
  private checkOrg(orgId: string, auth: AuthContext): void {
    if (!UUID.test(orgId)) {
      throw JsonApiError.of(400, 'invalid_org_id', 'org_id must be a UUID.');
    }
    if (orgId.toLowerCase() !== auth.workspaceId.toLowerCase()) {
      throw JsonApiError.of(404, 'org_not_found', `Org ${orgId} was not found.`);
    }
  }

  private async existing(
    orgId: string,
    integrationId: string,
    auth: AuthContext,
  ): Promise<RestIntegration> {
    this.checkOrg(orgId, auth);
    if (!UUID.test(integrationId)) {
      throw JsonApiError.of(400, 'invalid_integration_id', 'integration_id must be a UUID.');
    }
    const integration = await this.store.find(orgId, integrationId);
    if (!integration) {
      throw JsonApiError.of(
        404,
        'integration_not_found',
        `Integration ${integrationId} was not found in this org.`,
      );
    }
    return integration;
  }

  /**
   * Sends a command that answers with the integration, its field errors pointed at this
   * endpoint's document by `rename`, and answers read-your-writes (see `afterWrite`).
   */
  private async write(
    request: FastifyRequest,
    auth: AuthContext,
    orgId: string,
    subject: string,
    command: unknown,
    rename: (field: string) => string,
  ): Promise<RestIntegration> {
    const { value, position } = await this.commands
      .call<IntegrationView>(subject, command, commandContextOf(request, auth))
      .catch(pointAt(rename));
    return this.afterWrite(orgId, value, position);
  }

  /**
   * Read-your-writes: wait (bounded) until the read model has applied the command's position, and
   * answer from it; if it lags past the bound, answer from the command's own reply.
   */
  private async afterWrite(
    orgId: string,
    view: IntegrationView,
    position: string | undefined,
  ): Promise<RestIntegration> {
    if (position !== undefined && (await this.projection.waitFor(position, READ_YOUR_WRITES_MS))) {
      const projected = await this.store.find(orgId, view.id);
      if (projected) return projected;
    }
    return restIntegrationFromView(view);
  }

  private links(request: FastifyRequest, orgId: string): RestLinks {
    return new RestLinks(orgId, versionOf(request).requested);
  }
}

function brokerConflict(request: FastifyRequest, orgId: string, integrationId: string) {
  const settings = new RestLinks(orgId, versionOf(request).requested).settings(integrationId);
  return JsonApiError.of(
    409,
    'broker_enabled',
    `Broker mode is on for this integration: disable it first (PATCH ${settings} with broker_enabled false), then delete.`,
  );
}
