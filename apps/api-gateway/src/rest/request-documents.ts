import { z } from 'zod';
import { errorObject, JsonApiError, type JsonApiErrorObject } from './jsonapi.js';
import { MalformedBody } from './media-type.js';

/**
 * The request documents this API accepts, checked as JSON:API documents first (a `data` object
 * with the right `type`, and `id` on PATCH) and then attribute by attribute. Provider-specific
 * rules (which credentials an integration type needs, their shapes) are the integration
 * service's, from the provider catalog; its field errors come back and are pointed at the same way.
 */
export const INTEGRATION_TYPE = 'integration';
export const SETTINGS_TYPE = 'integration_settings';

const profileName = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(100, 'at most 100 characters');
const credentials = z.record(z.string(), z.unknown(), 'must be an object');

const createAttributes = z.strictObject({
  integration_type: z.string().min(1, 'must not be empty'),
  profile_name: profileName,
  credentials,
});

const updateAttributes = z.strictObject({
  profile_name: profileName.optional(),
  credentials: credentials.optional(),
});

const settingsAttributes = z.strictObject({
  container_app_scan_enabled: z.boolean().optional(),
  broker_enabled: z.boolean().optional(),
});

export type CreateAttributes = z.infer<typeof createAttributes>;
export type UpdateAttributes = z.infer<typeof updateAttributes>;
export type SettingsAttributes = z.infer<typeof settingsAttributes>;

export function parseCreateDocument(body: unknown): CreateAttributes {
  const data = resourceObject(body, INTEGRATION_TYPE, undefined);
  if (data.id !== undefined) {
    throw JsonApiError.of(
      403,
      'client_generated_id',
      'This API assigns integration ids; send the resource without an id.',
      { pointer: '/data/id' },
    );
  }
  return attributes(createAttributes, data.attributes);
}

export function parseUpdateDocument(body: unknown, integrationId: string): UpdateAttributes {
  const data = resourceObject(body, INTEGRATION_TYPE, integrationId);
  const raw = data.attributes;
  if (raw && typeof raw === 'object' && 'integration_type' in raw) {
    throw JsonApiError.of(
      400,
      'immutable_field',
      'integration_type cannot be changed after creation; only profile_name and credentials can.',
      { pointer: '/data/attributes/integration_type' },
    );
  }
  return attributes(updateAttributes, raw);
}

export function parseSettingsDocument(body: unknown, integrationId: string): SettingsAttributes {
  const data = resourceObject(body, SETTINGS_TYPE, integrationId);
  const parsed = attributes(settingsAttributes, data.attributes);
  if (Object.keys(parsed).length === 0) {
    throw JsonApiError.of(
      400,
      'empty_update',
      'Give at least one of container_app_scan_enabled, broker_enabled.',
      { pointer: '/data/attributes' },
    );
  }
  return parsed;
}

interface ResourceObject {
  type: unknown;
  id?: unknown;
  attributes?: unknown;
}

/** The top-level `data` member, with `type` (and on PATCH `id`) matching the endpoint. */
function resourceObject(body: unknown, type: string, id: string | undefined): ResourceObject {
  if (body instanceof MalformedBody) {
    throw JsonApiError.of(400, 'malformed_body', `${body.reason}.`, { pointer: '' });
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw JsonApiError.of(
      400,
      'invalid_document',
      'The body must be a JSON:API document: an object with a data member.',
      { pointer: '' },
    );
  }
  const data = (body as { data?: unknown }).data;
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw JsonApiError.of(400, 'invalid_document', 'data must be a resource object.', {
      pointer: '/data',
    });
  }
  const resource = data as ResourceObject;
  if (resource.type === undefined) {
    throw JsonApiError.of(400, 'missing_type', `data.type is required and must be "${type}".`, {
      pointer: '/data/type',
    });
  }
  if (resource.type !== type) {
    // JSON:API: a type the endpoint does not serve is a conflict.
    throw JsonApiError.of(409, 'type_conflict', `data.type must be "${type}".`, {
      pointer: '/data/type',
    });
  }
  if (id !== undefined) {
    if (resource.id === undefined) {
      throw JsonApiError.of(
        400,
        'missing_id',
        'data.id is required and must match the id in the URL.',
        { pointer: '/data/id' },
      );
    }
    if (resource.id !== id) {
      throw JsonApiError.of(409, 'id_conflict', 'data.id does not match the id in the URL.', {
        pointer: '/data/id',
      });
    }
  }
  if (resource.attributes === undefined) {
    throw JsonApiError.of(400, 'missing_attributes', 'data.attributes is required.', {
      pointer: '/data/attributes',
    });
  }
  return resource;
}

function attributes<T>(schema: z.ZodType<T>, raw: unknown): T {
  const result = schema.safeParse(raw);
  if (result.success) return result.data;
  throw new JsonApiError(400, result.error.issues.flatMap(issueErrors));
}

function issueErrors(issue: z.core.$ZodIssue): JsonApiErrorObject[] {
  const base = ['data', 'attributes', ...issue.path.map(String)];
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) =>
      errorObject(400, 'unknown_attribute', `${key} is not an attribute this endpoint accepts.`, {
        pointer: `/${[...base, key].join('/')}`,
      }),
    );
  }
  const name = issue.path.length > 0 ? issue.path.join('.') : 'attributes';
  const detail =
    issue.code === 'invalid_type' && issue.input === undefined
      ? `${name} is required.`
      : `${name} ${issue.message.startsWith('must') || issue.message.startsWith('at most') ? issue.message : `is invalid: ${issue.message}`}.`;
  return [errorObject(400, 'invalid_attribute', detail, { pointer: `/${base.join('/')}` })];
}
