import { describe, expect, test } from '@jest/globals';
import { JSONAPI_MEDIA_TYPE, jsonApiViolations } from '../support/jsonapi-conformance.js';

/** The validator every /rest test runs on every response must itself catch what it claims to. */
describe('the JSON:API conformance check', () => {
  const ok = (body: unknown, status = 200) => jsonApiViolations(status, JSONAPI_MEDIA_TYPE, body);
  const resource = { id: '1', type: 'integration', attributes: { a: 1 }, links: { self: '/x' } };

  test('accepts well-formed documents', () => {
    expect(ok({ data: resource, links: { self: '/x' }, jsonapi: { version: '1.1' } })).toEqual([]);
    expect(ok({ data: [resource], meta: { n: 1 } })).toEqual([]);
    expect(
      ok(
        {
          errors: [
            {
              status: '404',
              code: 'x',
              title: 'Not Found',
              detail: 'd',
              source: { pointer: '/data' },
            },
          ],
        },
        404,
      ),
    ).toEqual([]);
    expect(jsonApiViolations(204, null, undefined)).toEqual([]);
  });

  test.each([
    ['wrong content type', 200, 'application/json', { data: resource }],
    ['content type with charset', 200, `${JSONAPI_MEDIA_TYPE}; charset=utf-8`, { data: resource }],
    ['no data, errors or meta', 200, JSONAPI_MEDIA_TYPE, { links: {} }],
    ['data and errors', 200, JSONAPI_MEDIA_TYPE, { data: null, errors: [] }],
    ['resource without id', 200, JSONAPI_MEDIA_TYPE, { data: { type: 'integration' } }],
    [
      'attribute named id',
      200,
      JSONAPI_MEDIA_TYPE,
      { data: { ...resource, attributes: { id: 1 } } },
    ],
    [
      'bad member name',
      200,
      JSONAPI_MEDIA_TYPE,
      { data: { ...resource, attributes: { 'a b': 1 } } },
    ],
    ['unknown resource member', 200, JSONAPI_MEDIA_TYPE, { data: { ...resource, extra: 1 } }],
    [
      'error without code',
      400,
      JSONAPI_MEDIA_TYPE,
      { errors: [{ status: '400', title: 't', detail: 'd' }] },
    ],
    [
      'numeric status',
      400,
      JSONAPI_MEDIA_TYPE,
      { errors: [{ status: 400, code: 'c', title: 't', detail: 'd' }] },
    ],
    [
      'pointer not a pointer',
      400,
      JSONAPI_MEDIA_TYPE,
      {
        errors: [
          { status: '400', code: 'c', title: 't', detail: 'd', source: { pointer: 'data' } },
        ],
      },
    ],
    ['error status without errors', 404, JSONAPI_MEDIA_TYPE, { meta: {} }],
    [
      'credentials in a response',
      200,
      JSONAPI_MEDIA_TYPE,
      { data: { ...resource, attributes: { credentials: {} } } },
    ],
    ['204 with a body', 204, JSONAPI_MEDIA_TYPE, { data: null }],
  ])('rejects %s', (_name, status, type, body) => {
    expect(jsonApiViolations(status, type, body).length).toBeGreaterThan(0);
  });
});
