import { integrationStreamId } from '#libs/contracts/src/index.js';
import type { EventStore, Queryable } from '#libs/event-store/src/index.js';
import type { CredentialVault, SealedCredentials } from './credential-vault.js';

/** The credentials an integration holds now: those of its newest event that sealed any, or none. */
export async function currentCredentials(
  store: EventStore,
  vault: CredentialVault,
  on: Queryable,
  integrationId: string,
): Promise<Record<string, unknown>> {
  const sealed = (await store.lastSealed(integrationStreamId(integrationId), on))?.sealed;
  return sealed ? vault.open(on, integrationId, sealed as SealedCredentials) : {};
}
