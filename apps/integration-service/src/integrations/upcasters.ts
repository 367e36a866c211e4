import { findProvider, type IntegrationConnectedData } from '#libs/contracts/src/index.js';
import type { Upcaster } from '#libs/event-store/src/index.js';

/**
 * `IntegrationConnected` version 1 (the first GitHub-only shape) was flat:
 * `{ integrationId, provider, installationId, accountLogin, connectedAt }`. Version 2 carries
 * the whole non-secret state so projections can upsert from the event alone.
 */
export const integrationConnectedV1toV2: Upcaster = {
  type: 'IntegrationConnected',
  fromVersion: 1,
  upcast(raw) {
    const v1 = raw as {
      integrationId: string;
      provider: string;
      installationId?: string;
      accountLogin?: string;
      connectedAt: string;
    };
    const provider = findProvider(v1.provider);
    const config: Record<string, unknown> = {};
    if (v1.installationId !== undefined) config.installationId = v1.installationId;
    if (v1.accountLogin !== undefined) config.accountLogin = v1.accountLogin;
    const v2: IntegrationConnectedData = {
      integrationId: v1.integrationId,
      provider: v1.provider,
      kind: provider?.kind ?? 'scm',
      profileName: v1.accountLogin
        ? `${provider?.displayName ?? v1.provider} (${v1.accountLogin})`
        : (provider?.displayName ?? v1.provider),
      config,
      settings: { broker_enabled: false },
      hasCredentials: false,
      firstConnect: false,
      connectedAt: v1.connectedAt,
    };
    return v2;
  },
};

export const integrationUpcasters: Upcaster[] = [integrationConnectedV1toV2];
