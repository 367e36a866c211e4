import { Inject, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { IntegrationView } from '#libs/contracts/src/index.js';
import type { AuthContext } from '../auth/index.js';
import { CommandBus, commandContextOf } from '../bus/index.js';
import {
  INTEGRATION_READ_MODEL,
  READ_YOUR_WRITES_MS,
  type ProjectionWaiter,
} from '../projections/index.js';
import { pointAt } from './field-pointers.js';
import {
  RestLinks,
  restIntegrationFromView,
  type RestIntegration,
} from './integration-documents.js';
import { JsonApiError } from './jsonapi.js';
import { RestIntegrationsStore } from './rest-integrations.store.js';
import { versionOf } from './rest-version.guard.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const READ = 'org.integration.read';
export const EDIT = 'org.integration.edit';

/** A token from another org learns nothing about this one: the org is simply not found. */
export function checkOrg(orgId: string, auth: AuthContext): void {
  if (!UUID.test(orgId)) {
    throw JsonApiError.of(400, 'invalid_org_id', 'org_id must be a UUID.');
  }
  if (orgId.toLowerCase() !== auth.workspaceId.toLowerCase()) {
    throw JsonApiError.of(404, 'org_not_found', `Org ${orgId} was not found.`);
  }
}

/** The links of a document, in the version the client asked for. */
export function linksOf(request: FastifyRequest, orgId: string): RestLinks {
  return new RestLinks(orgId, versionOf(request).requested);
}

/**
 * The steps every `/rest` integration operation shares: find the org's integration (or the
 * JSON:API 400/404), and write through the bus answering read-your-writes.
 */
@Injectable()
export class RestIntegrationAccess {
  constructor(
    @Inject(RestIntegrationsStore) private readonly store: RestIntegrationsStore,
    @Inject(CommandBus) private readonly commands: CommandBus,
    @Inject(INTEGRATION_READ_MODEL) private readonly projection: ProjectionWaiter,
  ) {}

  async existing(
    orgId: string,
    integrationId: string,
    auth: AuthContext,
  ): Promise<RestIntegration> {
    checkOrg(orgId, auth);
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
  async write(
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
}
