import {
  fail,
  IntegrationEventTypes as T,
  type FieldIssue,
  type IntegrationEvent,
  type IntegrationConnectedData,
  type IntegrationCreatedData,
  type IntegrationDeletedData,
  type IntegrationDisconnectedData,
  type IntegrationSettings,
  type IntegrationSettingsUpdatedData,
  type IntegrationUpdatedData,
  type ProviderDefinition,
  settingsPatchSchema,
} from '#libs/contracts/src/index.js';
import { emit, type Decision } from '#libs/event-store/src/index.js';
import { fieldIssues } from '../write-side/parse.js';
import type { IntegrationState } from './integration.state.js';

/** Commands after their payloads were parsed against the catalog (see `parse-commands.ts`). */
export type IntegrationCommand =
  | {
      kind: 'connect';
      provider: ProviderDefinition;
      config: Record<string, unknown>;
      credentials: Record<string, unknown> | null;
      profileName?: string;
    }
  | {
      kind: 'create';
      provider: ProviderDefinition;
      profileName: string;
      config: Record<string, unknown>;
      credentials: Record<string, unknown> | null;
      settings: Partial<IntegrationSettings>;
    }
  | { kind: 'disconnect'; reason: string | null }
  | {
      kind: 'update';
      profileName?: string;
      /** Stored credentials with the given fields merged over them, not yet validated. */
      credentials?: Record<string, unknown>;
      provider: ProviderDefinition;
    }
  | { kind: 'updateSettings'; settings: Record<string, unknown>; provider: ProviderDefinition }
  | { kind: 'delete'; orphanedTargets: number };

/** Current schema versions of what `decide` writes; older rows are upcast on read. */
export const integrationSchemaVersions = { IntegrationConnected: 2 } as const;

/** What a command does to an integration: events, or a typed refusal. Pure. */
export function decideIntegration(
  command: IntegrationCommand,
  state: IntegrationState,
  now: string,
): Decision<IntegrationEvent> {
  if (state.deleted) {
    return fail('not_found', 'integration_not_found', `integration ${state.id} was deleted`);
  }
  const label = `${state.provider || 'integration'} integration ${state.id}`;
  switch (command.kind) {
    case 'connect': {
      if (state.exists && state.status === 'connected') {
        return fail('conflict', 'already_connected', `${state.provider} is already connected`, {
          integrationId: state.id,
        });
      }
      const hasCredentials = command.credentials !== null;
      const data: IntegrationConnectedData = {
        integrationId: state.id,
        provider: command.provider.name,
        kind: command.provider.kind,
        profileName:
          command.profileName ?? (state.exists ? state.profileName : defaultProfileName(command)),
        config: command.config,
        settings: state.exists
          ? state.settings
          : (command.provider.settings.parse({}) as unknown as IntegrationSettings),
        hasCredentials,
        firstConnect: !state.exists,
        connectedAt: now,
      };
      return emit({
        type: T.connected,
        data,
        ...(hasCredentials ? { secret: command.credentials! } : {}),
      });
    }
    case 'create': {
      if (state.exists) return fail('conflict', 'integration_exists', `${label} already exists`);
      const settings = command.provider.settings.parse(
        command.settings,
      ) as unknown as IntegrationSettings;
      const data: IntegrationCreatedData = {
        integrationId: state.id,
        provider: command.provider.name,
        kind: command.provider.kind,
        profileName: command.profileName,
        config: command.config,
        settings,
        hasCredentials: command.credentials !== null,
        status: 'connected',
        createdAt: now,
      };
      return emit({
        type: T.created,
        data,
        ...(command.credentials ? { secret: command.credentials } : {}),
      });
    }
    case 'disconnect': {
      if (!state.exists || state.status !== 'connected') {
        return fail(
          'not_found',
          'not_connected',
          `${state.provider || 'the provider'} is not connected`,
        );
      }
      const data: IntegrationDisconnectedData = {
        integrationId: state.id,
        provider: state.provider,
        reason: command.reason,
        disconnectedAt: now,
      };
      return emit({ type: T.disconnected, data });
    }
    case 'update': {
      if (!state.exists)
        return fail('not_found', 'integration_not_found', `${label} does not exist`);
      const changed: IntegrationUpdatedData['changed'] = [];
      let credentials: Record<string, unknown> | undefined;
      if (command.profileName !== undefined && command.profileName !== state.profileName) {
        changed.push('profile_name');
      }
      if (command.credentials !== undefined) {
        const parsed = command.provider.credentials.safeParse(command.credentials);
        if (!parsed.success) {
          return fail(
            'validation',
            'invalid_credentials',
            'the credentials are invalid',
            fieldIssues(parsed.error.issues, 'credentials'),
          );
        }
        credentials = parsed.data as Record<string, unknown>;
        changed.push('credentials');
      }
      if (changed.length === 0) return emit();
      const data: IntegrationUpdatedData = {
        integrationId: state.id,
        provider: state.provider,
        changed,
        profileName: command.profileName ?? state.profileName,
        hasCredentials: state.hasCredentials || credentials !== undefined,
        updatedAt: now,
      };
      return emit({ type: T.updated, data, ...(credentials ? { secret: credentials } : {}) });
    }
    case 'updateSettings': {
      if (!state.exists)
        return fail('not_found', 'integration_not_found', `${label} does not exist`);
      const issues = settingsIssues(command.provider, command.settings);
      if (issues.length > 0)
        return fail('validation', 'invalid_settings', 'the settings are invalid', issues);
      const settings = { ...state.settings, ...command.settings } as IntegrationSettings;
      const changed = (Object.keys(command.settings) as (keyof IntegrationSettings)[]).filter(
        (key) => state.settings[key] !== settings[key],
      );
      if (changed.length === 0) return emit();
      const data: IntegrationSettingsUpdatedData = {
        integrationId: state.id,
        provider: state.provider,
        settings,
        changed,
        updatedAt: now,
      };
      return emit({ type: T.settingsUpdated, data });
    }
    case 'delete': {
      if (!state.exists)
        return fail('not_found', 'integration_not_found', `${label} does not exist`);
      if (state.settings.broker_enabled) {
        return fail(
          'conflict',
          'broker_enabled',
          'broker mode is enabled on this integration; turn broker_enabled off before deleting it',
        );
      }
      const data: IntegrationDeletedData = {
        integrationId: state.id,
        provider: state.provider,
        credentialsShredded: true,
        orphanedTargets: command.orphanedTargets,
        deletedAt: now,
      };
      return emit({ type: T.deleted, data });
    }
  }
}

/** `container_app_scan_enabled` belongs to container registries only; unknown keys are errors. */
export function settingsIssues(
  provider: ProviderDefinition,
  settings: Record<string, unknown>,
): FieldIssue[] {
  const parsed = settingsPatchSchema(provider).safeParse(settings);
  if (parsed.success) return [];
  return parsed.error.issues.map((issue) => {
    const keys = (issue as { keys?: string[] }).keys;
    if (issue.code === 'unrecognized_keys' && keys?.includes('container_app_scan_enabled')) {
      return {
        field: 'settings.container_app_scan_enabled',
        message: `applies only to container registry integrations, not to ${provider.name}`,
      };
    }
    return {
      field: ['settings', ...issue.path, ...(keys ?? [])].join('.'),
      message: issue.message,
    };
  });
}

function defaultProfileName(command: {
  provider: ProviderDefinition;
  config: Record<string, unknown>;
}): string {
  const login = command.config.accountLogin;
  return typeof login === 'string'
    ? `${command.provider.displayName} (${login})`
    : command.provider.displayName;
}
