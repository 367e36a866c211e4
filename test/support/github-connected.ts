/**
 * The data of an `IntegrationConnected` event for GitHub, shaped as the integration service writes
 * it (libs/contracts/src/integrations.ts): for tests that put such events on the bus themselves.
 */
export function githubConnected(
  integrationId: string,
  accountLogin = 'acme-org',
  installationId = '12345678',
) {
  return {
    integrationId,
    provider: 'github',
    kind: 'scm',
    profileName: 'GitHub',
    config: { installationId, accountLogin },
    settings: { broker_enabled: false },
    hasCredentials: false,
    firstConnect: true,
    connectedAt: new Date().toISOString(),
  };
}
