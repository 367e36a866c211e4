import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  errorDocument,
  errorObject,
  hasOnlyJsonApiParams,
  JSONAPI_MEDIA_TYPE,
  parseMediaType,
} from './jsonapi.js';

export function isRestPath(url: string): boolean {
  return url === '/rest' || url.startsWith('/rest/') || url.startsWith('/rest?');
}

/** A body that is not JSON: handed on (not thrown) so the REST filter can answer it in JSON:API. */
export class MalformedBody {
  constructor(readonly reason: string) {}
}

/** What goes wrong with a request's media types, before any body is read; undefined if nothing. */
export function mediaTypeProblem(
  method: string,
  contentType: string | undefined,
  accept: string | undefined,
) {
  if (method === 'POST' || method === 'PATCH') {
    const given = contentType ? parseMediaType(contentType) : undefined;
    if (!given || given.type !== JSONAPI_MEDIA_TYPE) {
      return errorObject(
        415,
        'unsupported_media_type',
        `Send the request body as ${JSONAPI_MEDIA_TYPE}${contentType ? `, not ${given?.type}` : ''}.`,
        { header: 'Content-Type' },
      );
    }
    if (!hasOnlyJsonApiParams(given.params)) {
      return errorObject(
        415,
        'unsupported_media_type',
        `${JSONAPI_MEDIA_TYPE} takes no media type parameters other than ext and profile.`,
        { header: 'Content-Type' },
      );
    }
  }
  if (accept) {
    const jsonApi = accept
      .split(',')
      .map((part) => parseMediaType(part))
      .filter((m) => m.type === JSONAPI_MEDIA_TYPE);
    // JSON:API: 406 when every JSON:API instance in Accept carries parameters it does not define
    // (a quality value `q` is Accept's own, not the media type's).
    const withoutQ = jsonApi.map(({ params: { q: _q, ...params } }) => params);
    if (withoutQ.length > 0 && withoutQ.every((params) => !hasOnlyJsonApiParams(params))) {
      return errorObject(
        406,
        'not_acceptable',
        `Accept ${JSONAPI_MEDIA_TYPE} without media type parameters other than ext and profile.`,
        { header: 'Accept' },
      );
    }
  }
  return undefined;
}

/**
 * Media type handling for `/rest`, on the Fastify instance: a parser for JSON:API bodies, and a
 * check that runs before any body is read, so a wrong content type is a JSON:API 415 rather than
 * Fastify's own answer.
 */
export function installJsonApiMediaType(fastify: FastifyInstance): void {
  fastify.addContentTypeParser(JSONAPI_MEDIA_TYPE, { parseAs: 'string' }, (_req, body, done) => {
    const text = String(body);
    try {
      done(null, text.trim() === '' ? new MalformedBody('the body is empty') : JSON.parse(text));
    } catch {
      done(null, new MalformedBody('the body is not valid JSON'));
    }
  });
  fastify.addHook('onRequest', (request: FastifyRequest, reply: FastifyReply, done) => {
    if (!isRestPath(request.url)) return done();
    const problem = mediaTypeProblem(
      request.method,
      request.headers['content-type'],
      request.headers.accept,
    );
    if (!problem) return done();
    void reply
      .status(Number(problem.status))
      .header('content-type', JSONAPI_MEDIA_TYPE)
      .send(JSON.stringify(errorDocument([problem])));
  });
  // A safety net for what no /rest handler answered (an unknown route, a body over the size
  // limit, Fastify's own refusals): whatever shape the error had, it leaves as JSON:API.
  // It also takes off the `charset` Fastify appends to every JSON-like type: JSON:API forbids
  // media type parameters other than ext and profile.
  fastify.addHook('onSend', (request, reply, payload, done) => {
    if (!isRestPath(request.url)) return done(null, payload);
    const type = String(reply.getHeader('content-type') ?? '');
    if (type.startsWith(JSONAPI_MEDIA_TYPE)) {
      void reply.header('content-type', JSONAPI_MEDIA_TYPE);
      return done(null, payload);
    }
    if (reply.statusCode < 400) return done(null, payload);
    void reply.header('content-type', JSONAPI_MEDIA_TYPE);
    done(null, JSON.stringify(errorDocument([foreignError(reply.statusCode, payload)])));
  });
}

/** `{ error: { code, message } }` (the /api shape) or Fastify's `{ statusCode, code, message }`. */
function foreignError(status: number, payload: unknown) {
  let code = status === 404 ? 'not_found' : 'error';
  let detail = status === 404 ? 'No such endpoint.' : 'The request could not be handled.';
  try {
    const body = JSON.parse(String(payload)) as { error?: unknown; message?: unknown };
    const inner = (typeof body.error === 'object' && body.error !== null ? body.error : body) as {
      code?: unknown;
      message?: unknown;
    };
    if (status !== 404 && typeof inner.message === 'string') detail = inner.message;
    if (status !== 404 && typeof inner.code === 'string') code = inner.code.toLowerCase();
  } catch {
    // Not JSON: keep the generic wording.
  }
  return errorObject(status, code, detail);
}
