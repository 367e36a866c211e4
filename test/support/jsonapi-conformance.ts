import { expect } from '@jest/globals';

/**
 * The JSON:API 1.1 document rules (https://jsonapi.org/format/1.1/) this API relies on, checked
 * on every response a test receives. Returns the list of violations; `expectJsonApi` fails on any.
 */
export const JSONAPI_MEDIA_TYPE = 'application/vnd.api+json';

const MEMBER_NAME = /^[a-zA-Z0-9](?:[a-zA-Z0-9_-]*[a-zA-Z0-9])?$/;
const TOP_LEVEL = new Set(['data', 'errors', 'meta', 'jsonapi', 'links', 'included']);
const RESOURCE = new Set(['id', 'type', 'attributes', 'relationships', 'links', 'meta']);
const ERROR = new Set(['id', 'links', 'status', 'code', 'title', 'detail', 'source', 'meta']);

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

export function jsonApiViolations(
  status: number,
  contentType: string | null,
  body: unknown,
): string[] {
  const problems: string[] = [];
  if (status === 204) {
    if (body !== undefined && body !== '') problems.push('204 with a body');
    return problems;
  }
  if (contentType !== JSONAPI_MEDIA_TYPE) {
    problems.push(`Content-Type is ${contentType}, expected exactly ${JSONAPI_MEDIA_TYPE}`);
  }
  if (!isObject(body)) return [...problems, 'top level is not an object'];
  for (const key of Object.keys(body)) {
    if (!TOP_LEVEL.has(key)) problems.push(`unknown top-level member ${key}`);
  }
  if (!('data' in body) && !('errors' in body) && !('meta' in body)) {
    problems.push('top level has none of data, errors, meta');
  }
  if ('data' in body && 'errors' in body) problems.push('data and errors together');
  if ('included' in body && !('data' in body)) problems.push('included without data');
  if ('jsonapi' in body) {
    const j = body.jsonapi;
    if (!isObject(j) || (j.version !== undefined && typeof j.version !== 'string')) {
      problems.push('jsonapi must be an object with a string version');
    }
  }
  if ('links' in body) checkLinks(body.links, 'links', problems);
  if ('meta' in body && !isObject(body.meta)) problems.push('meta is not an object');
  if ('data' in body) {
    const data = body.data;
    if (Array.isArray(data)) data.forEach((r, i) => checkResource(r, `data[${i}]`, problems));
    else if (data !== null) checkResource(data, 'data', problems);
    if (Array.isArray(data)) {
      const keys = data.map((r) => (isObject(r) ? `${r.type}/${r.id}` : ''));
      if (new Set(keys).size !== keys.length) problems.push('data repeats a resource');
    }
  }
  if ('errors' in body) {
    if (!Array.isArray(body.errors) || body.errors.length === 0) {
      problems.push('errors must be a non-empty array');
    } else {
      body.errors.forEach((e, i) => checkError(e, `errors[${i}]`, status, problems));
    }
    if (status < 400) problems.push(`errors with status ${status}`);
  } else if (status >= 400) {
    problems.push(`status ${status} without errors`);
  }
  if (JSON.stringify(body).includes('"credentials"')) problems.push('a response names credentials');
  return problems;
}

function checkResource(resource: unknown, at: string, problems: string[]) {
  if (!isObject(resource)) return void problems.push(`${at} is not an object`);
  if (typeof resource.id !== 'string' || resource.id === '') problems.push(`${at}.id missing`);
  if (typeof resource.type !== 'string' || !MEMBER_NAME.test(resource.type)) {
    problems.push(`${at}.type missing or not a valid member name`);
  }
  for (const key of Object.keys(resource)) {
    if (!RESOURCE.has(key)) problems.push(`${at} has unknown member ${key}`);
  }
  const fields = new Set<string>();
  for (const member of ['attributes', 'relationships'] as const) {
    if (!(member in resource)) continue;
    const value = resource[member];
    if (!isObject(value)) {
      problems.push(`${at}.${member} is not an object`);
      continue;
    }
    for (const name of Object.keys(value)) {
      if (!MEMBER_NAME.test(name)) problems.push(`${at}.${member}.${name}: invalid member name`);
      if (name === 'id' || name === 'type')
        problems.push(`${at}.${member} has a field named ${name}`);
      if (fields.has(name)) problems.push(`${at}: ${name} is both an attribute and a relationship`);
      fields.add(name);
      if (member === 'relationships') {
        const rel = value[name];
        if (!isObject(rel) || !('links' in rel || 'data' in rel || 'meta' in rel)) {
          problems.push(`${at}.relationships.${name} needs links, data or meta`);
        } else if ('links' in rel) {
          checkLinks(rel.links, `${at}.relationships.${name}.links`, problems);
          if (isObject(rel.links) && !('self' in rel.links) && !('related' in rel.links)) {
            problems.push(`${at}.relationships.${name}.links needs self or related`);
          }
        }
      }
    }
  }
  if ('links' in resource) checkLinks(resource.links, `${at}.links`, problems);
}

function checkLinks(links: unknown, at: string, problems: string[]) {
  if (!isObject(links)) return void problems.push(`${at} is not an object`);
  for (const [name, link] of Object.entries(links)) {
    if (link === null) continue;
    const href = isObject(link) ? link.href : link;
    if (typeof href !== 'string' || href === '') problems.push(`${at}.${name} is not a link`);
  }
}

function checkError(error: unknown, at: string, status: number, problems: string[]) {
  if (!isObject(error)) return void problems.push(`${at} is not an object`);
  for (const key of Object.keys(error)) {
    if (!ERROR.has(key)) problems.push(`${at} has unknown member ${key}`);
  }
  for (const key of ['status', 'code', 'title', 'detail']) {
    if (typeof error[key] !== 'string' || error[key] === '') {
      problems.push(`${at}.${key} must be a non-empty string`);
    }
  }
  if (typeof error.status === 'string' && !/^[1-5]\d\d$/.test(error.status)) {
    problems.push(`${at}.status is not an HTTP status code string`);
  }
  if (error.status !== undefined && error.status !== String(status) && status !== 400) {
    problems.push(
      `${at}.status ${String(error.status)} differs from the response status ${status}`,
    );
  }
  if ('source' in error) {
    const source = error.source;
    if (!isObject(source)) problems.push(`${at}.source is not an object`);
    else {
      if (
        'pointer' in source &&
        (typeof source.pointer !== 'string' || !/^(\/.*)?$/.test(source.pointer))
      ) {
        problems.push(`${at}.source.pointer is not a JSON Pointer`);
      }
      for (const key of ['parameter', 'header']) {
        if (key in source && typeof source[key] !== 'string')
          problems.push(`${at}.source.${key} is not a string`);
      }
    }
  }
}

export function expectJsonApi(response: { status: number; headers: Headers; body: unknown }) {
  expect(
    jsonApiViolations(response.status, response.headers.get('content-type'), response.body),
  ).toEqual([]);
}
