import { Body, Get, Inject, Param, Patch, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { IntegrationSubjects } from '#libs/contracts/src/index.js';
import { Auth, RequirePermission, type AuthContext } from '../auth/index.js';
import { withoutPrefix } from './field-pointers.js';
import { settingsResource, singleDocument } from './integration-documents.js';
import { JsonApiError } from './jsonapi.js';
import { RestOperation } from './openapi.js';
import { RestIntegrationsApi } from './rest-controller.js';
import { parseSettingsDocument } from './request-documents.js';
import { EDIT, linksOf, READ, RestIntegrationAccess } from './rest-integration-access.js';

/** The Snyk REST API: the settings of an org's integration, as JSON:API (same rules as the integration). */
@RestIntegrationsApi()
export class RestIntegrationSettingsController {
  constructor(@Inject(RestIntegrationAccess) private readonly access: RestIntegrationAccess) {}

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
    const integration = await this.access.existing(orgId, integrationId, auth);
    return singleDocument(settingsResource(integration, linksOf(request, orgId)));
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
    const current = await this.access.existing(orgId, integrationId, auth);
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
    const integration = await this.access.write(
      request,
      auth,
      orgId,
      IntegrationSubjects.updateSettings,
      { integrationId, settings },
      withoutPrefix('settings.'),
    );
    return singleDocument(settingsResource(integration, linksOf(request, orgId)));
  }
}
