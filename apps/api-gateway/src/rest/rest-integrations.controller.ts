import {
  Body,
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
} from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { IntegrationSubjects, type DeleteIntegrationResult } from '#libs/contracts/src/index.js';
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
  singleDocument,
  type ListLinks,
} from './integration-documents.js';
import { JsonApiError } from './jsonapi.js';
import { RestOperation } from './openapi.js';
import { RestIntegrationsApi } from './rest-controller.js';
import { parsePageRequest, type PageRequest } from './page-request.js';
import { RestListCache } from './rest-list-cache.js';
import { parseCreateDocument, parseUpdateDocument } from './request-documents.js';
import { checkOrg, EDIT, linksOf, READ, RestIntegrationAccess } from './rest-integration-access.js';
import { RestIntegrationsStore, type ListKey } from './rest-integrations.store.js';

/**
 * The Snyk REST API: an org's integrations, as JSON:API (their settings: rest-integration-settings).
 * Reads come from the gateway's read model; writes go to the integration service over the bus and
 * answer once the read model has applied them, so the next read by the same client sees the
 * change.
 */
@RestIntegrationsApi()
export class RestIntegrationsController {
  constructor(
    @Inject(RestIntegrationAccess) private readonly access: RestIntegrationAccess,
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
    checkOrg(orgId, auth);
    const parsed = parsePageRequest(query, orgId, this.cursorSecret);
    if (!parsed.ok) {
      const { parameter, code, detail } = parsed.problem;
      throw JsonApiError.of(400, code, detail, { parameter });
    }
    const { page } = parsed;
    const links = linksOf(request, orgId);
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
    checkOrg(orgId, auth);
    const attributes = parseCreateDocument(body);
    const integration = await this.access.write(
      request,
      auth,
      orgId,
      IntegrationSubjects.create,
      createCommand(attributes),
      (field) => field.replace(/^config\./, 'credentials.'),
    );
    const links = linksOf(request, orgId);
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
    const integration = await this.access.existing(orgId, integrationId, auth);
    return singleDocument(integrationResource(integration, linksOf(request, orgId)));
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
    const current = await this.access.existing(orgId, integrationId, auth);
    const attributes = parseUpdateDocument(body, integrationId);
    let integration = current;
    if (Object.keys(attributes).length > 0) {
      integration = await this.access.write(
        request,
        auth,
        orgId,
        IntegrationSubjects.update,
        { integrationId, ...attributes },
        (field) => field,
      );
    }
    return singleDocument(integrationResource(integration, linksOf(request, orgId)));
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
    const current = await this.access.existing(orgId, integrationId, auth);
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
}

function brokerConflict(request: FastifyRequest, orgId: string, integrationId: string) {
  const settings = linksOf(request, orgId).settings(integrationId);
  return JsonApiError.of(
    409,
    'broker_enabled',
    `Broker mode is on for this integration: disable it first (PATCH ${settings} with broker_enabled false), then delete.`,
  );
}
