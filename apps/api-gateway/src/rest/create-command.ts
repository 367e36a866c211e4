import { findProvider, type CreateIntegrationCommand } from '#libs/contracts/src/index.js';
import type { CreateAttributes } from './request-documents.js';

/**
 * The Snyk REST API sends everything a provider needs as `credentials`; the service keeps the secret
 * part (the provider's credential fields) apart from the plain config (e.g. GitHub's
 * installationId), as `/api` connect does with its flat payload.
 */
export function createCommand(attributes: CreateAttributes): CreateIntegrationCommand {
  const provider = findProvider(attributes.integration_type);
  if (!provider) return { ...attributes };
  const secret = provider.credentials.shape as Record<string, unknown>;
  const credentials: Record<string, unknown> = {};
  const config: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(attributes.credentials)) {
    if (key in secret || !(key in provider.config.shape)) credentials[key] = value;
    else config[key] = value;
  }
  return { ...attributes, credentials, config };
}
