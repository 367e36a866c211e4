import { describe, expect, test } from '@jest/globals';
import {
  parseCreateDocument,
  parseSettingsDocument,
  parseUpdateDocument,
} from '../../apps/api-gateway/src/rest/request-documents.js';
import { JsonApiError } from '../../apps/api-gateway/src/rest/jsonapi.js';
import { MalformedBody, mediaTypeProblem } from '../../apps/api-gateway/src/rest/media-type.js';

const ID = '0f0e0d0c-0000-4000-8000-000000000002';
const errorsOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    if (error instanceof JsonApiError) return { status: error.status, errors: error.errors };
    throw error;
  }
  throw new Error('expected a JsonApiError');
};

const create = (attributes: unknown, extra: Record<string, unknown> = {}) => ({
  data: { type: 'integration', attributes, ...extra },
});

describe('create documents', () => {
  test('a valid document gives its attributes', () => {
    const attrs = {
      integration_type: 'ecr',
      profile_name: 'prod',
      credentials: { region: 'us-east-1', role_arn: 'arn:aws:iam::123456789012:role/x' },
    };
    expect(parseCreateDocument(create(attrs))).toEqual(attrs);
  });

  test('each missing or wrong attribute gets its own error and pointer', () => {
    const { status, errors } = errorsOf(() =>
      parseCreateDocument(create({ profile_name: 5, credentials: 'x', colour: 'red' })),
    );
    expect(status).toBe(400);
    const pointers = errors.map((e) => e.source?.pointer).sort();
    expect(pointers).toEqual([
      '/data/attributes/colour',
      '/data/attributes/credentials',
      '/data/attributes/integration_type',
      '/data/attributes/profile_name',
    ]);
    expect(errors.find((e) => e.source?.pointer?.endsWith('integration_type'))?.detail).toMatch(
      /required/,
    );
    for (const e of errors) expect(e).toMatchObject({ status: '400', title: 'Bad Request' });
  });

  test('document structure: not an object, no data, wrong type, client id, malformed JSON', () => {
    expect(errorsOf(() => parseCreateDocument([])).errors[0]!.source).toEqual({ pointer: '' });
    expect(errorsOf(() => parseCreateDocument({})).errors[0]!.source).toEqual({ pointer: '/data' });
    expect(
      errorsOf(() => parseCreateDocument({ data: { attributes: {} } })).errors[0],
    ).toMatchObject({
      code: 'missing_type',
      source: { pointer: '/data/type' },
    });
    expect(
      errorsOf(() => parseCreateDocument({ data: { type: 'rule', attributes: {} } })).status,
    ).toBe(409);
    expect(errorsOf(() => parseCreateDocument(create({}, { id: ID }))).status).toBe(403);
    expect(
      errorsOf(() => parseCreateDocument(new MalformedBody('the body is not valid JSON')))
        .errors[0],
    ).toMatchObject({
      code: 'malformed_body',
      detail: 'the body is not valid JSON.',
    });
  });
});

describe('update documents', () => {
  const update = (attributes: unknown, id: unknown = ID) => ({
    data: { type: 'integration', id, attributes },
  });

  test('partial: only what is given', () => {
    expect(parseUpdateDocument(update({ profile_name: 'renamed' }), ID)).toEqual({
      profile_name: 'renamed',
    });
    expect(parseUpdateDocument(update({ credentials: { region: 'eu-west-1' } }), ID)).toEqual({
      credentials: { region: 'eu-west-1' },
    });
  });

  test('integration_type is immutable: 400 naming the field', () => {
    const { status, errors } = errorsOf(() =>
      parseUpdateDocument(update({ integration_type: 'acr' }), ID),
    );
    expect(status).toBe(400);
    expect(errors[0]).toMatchObject({
      code: 'immutable_field',
      source: { pointer: '/data/attributes/integration_type' },
    });
    expect(errors[0]!.detail).toContain('integration_type');
  });

  test('id is required and must match the URL', () => {
    expect(
      errorsOf(() => parseUpdateDocument({ data: { type: 'integration', attributes: {} } }, ID))
        .status,
    ).toBe(400);
    expect(errorsOf(() => parseUpdateDocument(update({}, 'other'), ID)).status).toBe(409);
  });
});

describe('settings documents', () => {
  const settings = (attributes: unknown) => ({
    data: { type: 'integration_settings', id: ID, attributes },
  });
  test('takes container_app_scan_enabled and broker_enabled as booleans', () => {
    expect(parseSettingsDocument(settings({ container_app_scan_enabled: true }), ID)).toEqual({
      container_app_scan_enabled: true,
    });
    expect(
      errorsOf(() => parseSettingsDocument(settings({ container_app_scan_enabled: 'yes' }), ID))
        .errors[0],
    ).toMatchObject({
      source: { pointer: '/data/attributes/container_app_scan_enabled' },
    });
    expect(errorsOf(() => parseSettingsDocument(settings({}), ID)).errors[0]!.code).toBe(
      'empty_update',
    );
  });
});

describe('media types', () => {
  const JSONAPI = 'application/vnd.api+json';
  test('POST and PATCH need the JSON:API media type, without foreign parameters', () => {
    expect(mediaTypeProblem('POST', JSONAPI, undefined)).toBeUndefined();
    expect(mediaTypeProblem('PATCH', `${JSONAPI}; ext="https://x"`, undefined)).toBeUndefined();
    expect(mediaTypeProblem('POST', 'application/json', undefined)?.status).toBe('415');
    expect(mediaTypeProblem('PATCH', undefined, undefined)?.status).toBe('415');
    expect(mediaTypeProblem('POST', `${JSONAPI}; charset=utf-8`, undefined)?.status).toBe('415');
    expect(mediaTypeProblem('GET', 'text/plain', undefined)).toBeUndefined();
  });

  test('Accept: 406 only when every JSON:API instance has foreign parameters', () => {
    expect(mediaTypeProblem('GET', undefined, `${JSONAPI}; charset=utf-8`)?.status).toBe('406');
    expect(
      mediaTypeProblem('GET', undefined, `${JSONAPI}; charset=utf-8, ${JSONAPI}`),
    ).toBeUndefined();
    expect(mediaTypeProblem('GET', undefined, `${JSONAPI};q=0.9`)).toBeUndefined();
    expect(mediaTypeProblem('GET', undefined, 'application/json, */*')).toBeUndefined();
  });
});
