import { authorize, readResponse, type HttpResponse } from './http.js';
import { expectJsonApi, JSONAPI_MEDIA_TYPE } from './jsonapi-conformance.js';

export const VERSION = '2026-03-25';

export type RestResponse = HttpResponse;

/**
 * An HTTP client for `/rest`: JSON:API in and out, `version` added unless the path has one.
 * Every response it sees is checked against the JSON:API document rules (`jsonapi-conformance`).
 */
export function restClient(baseUrl: string) {
  return async function call(
    method: string,
    path: string,
    options: {
      token?: string;
      body?: unknown;
      raw?: string;
      contentType?: string;
      headers?: Record<string, string>;
      version?: string | null;
    } = {},
  ): Promise<RestResponse> {
    const headers: Record<string, string> = { accept: JSONAPI_MEDIA_TYPE, ...options.headers };
    authorize(headers, options.token);
    let body: string | undefined;
    if (options.raw !== undefined) body = options.raw;
    else if (options.body !== undefined) body = JSON.stringify(options.body);
    if (body !== undefined) headers['content-type'] = options.contentType ?? JSONAPI_MEDIA_TYPE;
    const url = new URL(path, baseUrl);
    if (options.version !== null && !url.searchParams.has('version')) {
      url.searchParams.set('version', options.version ?? VERSION);
    }
    const result = await readResponse(await fetch(url, { method, headers, body }));
    expectJsonApi(result);
    return result;
  };
}

export const ecrCredentials = (n = 1) => ({
  region: 'us-east-1',
  role_arn: `arn:aws:iam::12345678901${n % 10}:role/scanner-${n}`,
});

export const createBody = (
  profileName: string,
  type = 'ecr',
  credentials: unknown = ecrCredentials(),
) => ({
  data: {
    type: 'integration',
    attributes: { integration_type: type, profile_name: profileName, credentials },
  },
});
