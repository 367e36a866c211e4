import type { IntegrationSettings, IntegrationView } from '#libs/contracts/src/index.js';
import { JSONAPI_VERSION } from './jsonapi.js';
import { INTEGRATION_TYPE, SETTINGS_TYPE } from './request-documents.js';

/** One integration as the REST API reads it from the gateway's read model. */
export interface RestIntegration {
  id: string;
  orgId: string;
  integrationType: string;
  /** The provider's kind; `container-registry` is the one with container settings. */
  kind: string;
  profileName: string;
  status: string;
  settings: IntegrationSettings;
  createdAt: string;
  updatedAt: string;
  /** Keyset position in the org's list: the order the gateway first saw it in (bigint string). */
  listPosition: string;
}

/** The integration as the service's command reply shows it, for when the read model lags. */
export function restIntegrationFromView(view: IntegrationView): RestIntegration {
  return {
    id: view.id,
    orgId: view.workspaceId,
    integrationType: view.provider,
    kind: view.kind,
    profileName: view.profileName,
    status: view.status,
    settings: view.settings,
    createdAt: view.createdAt,
    updatedAt: view.updatedAt,
    listPosition: '0',
  };
}

/** Builds the URLs a document links to; every link keeps the version the client asked for. */
export class RestLinks {
  constructor(
    readonly orgId: string,
    readonly version: string,
  ) {}

  collection(query: Record<string, string> = {}): string {
    return this.url(`/rest/orgs/${this.orgId}/integrations`, query);
  }

  integration(id: string): string {
    return this.url(`/rest/orgs/${this.orgId}/integrations/${id}`);
  }

  /** What an integration's link starts with, before its id (for links built in SQL). */
  get integrationPrefix(): string {
    return `/rest/orgs/${this.orgId}/integrations/`;
  }

  /** The query every link carries: `?version=...`. */
  get query(): string {
    return `?${new URLSearchParams({ version: this.version }).toString()}`;
  }

  settings(id: string): string {
    return this.url(`/rest/orgs/${this.orgId}/integrations/${id}/settings`);
  }

  private url(path: string, query: Record<string, string> = {}): string {
    const params = new URLSearchParams({ version: this.version, ...query });
    return `${path}?${params.toString()}`;
  }
}

/** Credentials are write-only: nothing of them, not even their shape, is ever rendered. */
export function integrationResource(integration: RestIntegration, links: RestLinks) {
  return {
    id: integration.id,
    type: INTEGRATION_TYPE,
    attributes: {
      integration_type: integration.integrationType,
      profile_name: integration.profileName,
      status: integration.status,
      created_at: integration.createdAt,
      updated_at: integration.updatedAt,
    },
    relationships: {
      settings: { links: { related: links.settings(integration.id) } },
    },
    links: { self: links.integration(integration.id) },
  };
}

export function settingsResource(integration: RestIntegration, links: RestLinks) {
  return {
    id: integration.id,
    type: SETTINGS_TYPE,
    attributes: {
      broker_enabled: integration.settings.broker_enabled,
      // Absent for integrations that are not container registries: it does not apply to them.
      ...(integration.settings.container_app_scan_enabled === undefined
        ? {}
        : { container_app_scan_enabled: integration.settings.container_app_scan_enabled }),
    },
    links: { self: links.settings(integration.id) },
  };
}

export function singleDocument(resource: { links: { self: string } }) {
  return { jsonapi: JSONAPI_VERSION, data: resource, links: { self: resource.links.self } };
}

export interface ListLinks {
  self: string;
  first: string;
  next?: string;
  prev?: string;
}

/**
 * The list document as text: its resources arrive rendered and joined
 * (`RestIntegrationsStore.page`), so they are spliced in rather than parsed and serialised again.
 */
export function listDocumentText(
  resources: string,
  pageLinks: ListLinks,
  meta: Record<string, unknown>,
): string {
  return (
    `{"jsonapi":${JSON.stringify(JSONAPI_VERSION)},"data":[${resources}],` +
    `"links":${JSON.stringify(pageLinks)},"meta":${JSON.stringify(meta)}}`
  );
}
