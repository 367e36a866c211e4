import { z } from 'zod';
import {
  connectPayloadSchema,
  findProvider,
  PROVIDER_NAMES,
  settingsPatchSchema,
  type FieldIssue,
  fail,
  type ProviderDefinition,
} from '#libs/contracts/src/index.js';
import { fieldIssues, parse, type Parsed } from '../write-side/parse.js';

const invalid = (issues: FieldIssue[], message = 'the request is invalid') =>
  fail('validation', 'invalid_request', message, issues);

export function unknownProvider(name: unknown) {
  return fail(
    'not_found',
    'unknown_provider',
    `unknown provider ${String(name)}; known providers: ${PROVIDER_NAMES.join(', ')}`,
    { providers: [...PROVIDER_NAMES] },
  );
}

const uuid = z.uuid({ error: 'expected a UUID' });
const profileName = z.string().trim().min(1).max(100);
const jsonObject = z.record(z.string(), z.unknown());

// Schemas live at module level: zod compiles each schema on its first parse, so building them
// per command cost more than the parse itself.
const ConnectCommand = z.strictObject({
  provider: z.string(),
  payload: jsonObject.default({}),
  integrationId: uuid.optional(),
  profileName: profileName.optional(),
});
const DisconnectCommand = z.strictObject({
  provider: z.string(),
  integrationId: uuid.optional(),
  reason: z.string().max(500).optional(),
});
const CreateCommand = z.strictObject({
  integration_type: z.string(),
  profile_name: profileName,
  credentials: jsonObject.default({}),
  config: jsonObject.default({}),
  settings: jsonObject.default({}),
});
const UpdateCommand = z.strictObject({
  integrationId: uuid,
  profile_name: profileName.optional(),
  credentials: jsonObject.optional(),
});
const UpdateSettingsCommand = z.strictObject({ integrationId: uuid, settings: jsonObject });
const IntegrationIdQuery = z.strictObject({ integrationId: uuid });
const ListQuery = z.strictObject({
  provider: z.string().optional(),
  status: z.enum(['connected', 'disconnected']).optional(),
});
const HealthQuery = z.strictObject({ provider: z.string(), integrationId: uuid.optional() });

/** Splits a flat connect payload into the provider's config and its credentials. */
function splitPayload(provider: ProviderDefinition, payload: Record<string, unknown>) {
  const config: Record<string, unknown> = {};
  const credentials: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(payload)) {
    if (key in provider.credentials.shape) credentials[key] = value;
    else config[key] = value;
  }
  const hasSecretFields = Object.keys(provider.credentials.shape).length > 0;
  return { config, credentials: hasSecretFields ? credentials : null };
}

export interface ParsedConnect {
  provider: ProviderDefinition;
  config: Record<string, unknown>;
  credentials: Record<string, unknown> | null;
  integrationId?: string;
  profileName?: string;
}

export function parseConnect(input: unknown): Parsed<ParsedConnect> {
  const outer = parse(ConnectCommand, input);
  if (!outer.ok) return outer;
  const provider = findProvider(outer.value.provider);
  if (!provider) return unknownProvider(outer.value.provider);
  const body = connectPayloadSchema(provider).safeParse(outer.value.payload);
  if (!body.success) {
    return invalid(fieldIssues(body.error.issues, ''), `invalid ${provider.name} connect payload`);
  }
  const { config, credentials } = splitPayload(provider, body.data as Record<string, unknown>);
  return {
    ok: true,
    value: {
      provider,
      config,
      credentials,
      ...(outer.value.integrationId ? { integrationId: outer.value.integrationId } : {}),
      ...(outer.value.profileName ? { profileName: outer.value.profileName } : {}),
    },
  };
}

export function parseDisconnect(input: unknown): Parsed<{
  provider: ProviderDefinition;
  integrationId?: string;
  reason: string | null;
}> {
  const outer = parse(DisconnectCommand, input);
  if (!outer.ok) return outer;
  const provider = findProvider(outer.value.provider);
  if (!provider) return unknownProvider(outer.value.provider);
  return {
    ok: true,
    value: {
      provider,
      reason: outer.value.reason ?? null,
      ...(outer.value.integrationId ? { integrationId: outer.value.integrationId } : {}),
    },
  };
}

export interface ParsedCreate {
  provider: ProviderDefinition;
  profileName: string;
  config: Record<string, unknown>;
  credentials: Record<string, unknown> | null;
  settings: Record<string, unknown>;
}

export function parseCreate(input: unknown): Parsed<ParsedCreate> {
  const outer = parse(CreateCommand, input);
  if (!outer.ok) return outer;
  const provider = findProvider(outer.value.integration_type);
  if (!provider) {
    return invalid([
      {
        field: 'integration_type',
        message: `unknown integration type ${outer.value.integration_type}; known: ${PROVIDER_NAMES.join(', ')}`,
      },
    ]);
  }
  const issues: FieldIssue[] = [];
  const credentials = provider.credentials.safeParse(outer.value.credentials);
  if (!credentials.success) issues.push(...fieldIssues(credentials.error.issues, 'credentials'));
  const config = provider.config.safeParse(outer.value.config);
  if (!config.success) issues.push(...fieldIssues(config.error.issues, 'config'));
  const settings = settingsPatchSchema(provider).safeParse(outer.value.settings);
  if (!settings.success) issues.push(...fieldIssues(settings.error.issues, 'settings'));
  if (issues.length > 0) return invalid(issues);
  const hasSecretFields = Object.keys(provider.credentials.shape).length > 0;
  return {
    ok: true,
    value: {
      provider,
      profileName: outer.value.profile_name,
      config: config.data as Record<string, unknown>,
      credentials: hasSecretFields ? (credentials.data as Record<string, unknown>) : null,
      settings: settings.data as Record<string, unknown>,
    },
  };
}

export function parseUpdate(input: unknown): Parsed<{
  integrationId: string;
  profileName?: string;
  credentials?: Record<string, unknown>;
}> {
  if (typeof input === 'object' && input !== null && 'integration_type' in input) {
    return invalid(
      [{ field: 'integration_type', message: 'integration_type cannot be changed after creation' }],
      'integration_type is immutable',
    );
  }
  const outer = parse(UpdateCommand, input);
  if (!outer.ok) return outer;
  return {
    ok: true,
    value: {
      integrationId: outer.value.integrationId,
      ...(outer.value.profile_name !== undefined ? { profileName: outer.value.profile_name } : {}),
      ...(outer.value.credentials !== undefined ? { credentials: outer.value.credentials } : {}),
    },
  };
}

export const parseUpdateSettings = (input: unknown) => parse(UpdateSettingsCommand, input);

export const parseIntegrationId = (input: unknown) => parse(IntegrationIdQuery, input);

export const parseList = (input: unknown) => parse(ListQuery, input);

export const parseHealth = (input: unknown) => parse(HealthQuery, input);
