import {
  findProvider,
  PROVIDER_NAMES,
  type ProviderDefinition,
} from '#libs/contracts/src/index.js';
import { ApiError } from '../errors/api-error.js';

/** The catalog entry for a `:provider` path segment, or 404 listing the known ones. */
export function providerOrNotFound(name: string): ProviderDefinition {
  const provider = findProvider(name);
  if (!provider) {
    throw new ApiError(
      'not_found',
      'unknown_provider',
      `unknown provider ${name}; known providers: ${PROVIDER_NAMES.join(', ')}`,
      { known: [...PROVIDER_NAMES] },
    );
  }
  return provider;
}
