import type httpModule from 'node:http';
import type httpsModule from 'node:https';
import { createRequire } from 'node:module';

// Loaded through require: OpenTelemetry's HTTP instrumentation (libs/observability's register)
// patches http and https as CommonJS loads them, and so the calls made here are spans.
const require = createRequire(import.meta.url);
const http = require('node:http') as typeof httpModule;
const https = require('node:https') as typeof httpsModule;

/** What Octokit passes to its `fetch` (`@octokit/request`'s fetch wrapper). */
export interface OctokitFetchInit {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Uint8Array | null;
  signal?: AbortSignal | null;
  redirect?: string;
}

const agents = {
  'http:': new http.Agent({ keepAlive: true }),
  'https:': new https.Agent({ keepAlive: true }),
};
const MAX_REDIRECTS = 5;

/**
 * The `fetch` every Octokit here is given (`request: { fetch: nodeHttpFetch }`): one request over
 * node:http(s) on keep-alive agents, answered as a `Response` once its body has arrived. Node's
 * own fetch (undici's WHATWG streams) cost about 1.5 times this one's CPU per GitHub call (a
 * pull read and a commit status against the GitHub simulator, both alternating in one process).
 * It follows same-origin redirects as fetch does (GitHub answers a renamed repository with 301 or
 * 307); a redirect elsewhere is answered as it came, so credentials never leave GitHub's origin.
 */
export async function nodeHttpFetch(
  url: string | URL,
  init: OctokitFetchInit = {},
): Promise<Response> {
  const body = init.body ?? undefined;
  if (body !== undefined && typeof body !== 'string' && !(body instanceof Uint8Array)) {
    throw new TypeError('nodeHttpFetch sends a string or bytes as a body');
  }
  let target = new URL(url);
  let method = (init.method ?? 'GET').toUpperCase();
  let sent = body;
  for (let hop = 0; ; hop++) {
    const answer = await exchange(
      target,
      method,
      init.headers ?? {},
      sent,
      init.signal ?? undefined,
    );
    const location = answer.headers.get('location');
    const redirected = [301, 302, 303, 307, 308].includes(answer.status) && location !== null;
    if (!redirected || init.redirect === 'manual' || hop >= MAX_REDIRECTS) return answer.response();
    const next = new URL(location, target);
    if (next.origin !== target.origin) return answer.response();
    // As fetch: 303, and 301/302 after a POST, become a GET without a body.
    if (
      answer.status === 303 ||
      ((answer.status === 301 || answer.status === 302) && method === 'POST')
    ) {
      method = 'GET';
      sent = undefined;
    }
    target = next;
  }
}

interface Answer {
  status: number;
  statusText: string;
  headers: Headers;
  response(): Response;
}

function exchange(
  url: URL,
  method: string,
  headers: Record<string, string>,
  body: string | Uint8Array | undefined,
  signal: AbortSignal | undefined,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const client = url.protocol === 'https:' ? https : http;
    const agent = agents[url.protocol as keyof typeof agents];
    if (!agent) return reject(new TypeError(`fetch failed: unsupported protocol ${url.protocol}`));
    const request = client.request(url, { method, headers, agent, signal }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', fail);
      res.on('end', () => {
        const status = res.statusCode ?? 0;
        const answerHeaders = new Headers();
        for (let i = 0; i < res.rawHeaders.length; i += 2) {
          answerHeaders.append(res.rawHeaders[i]!, res.rawHeaders[i + 1]!);
        }
        const statusText = res.statusMessage ?? '';
        resolve({
          status,
          statusText,
          headers: answerHeaders,
          response: () => {
            const response = new Response(
              // A null-body status (204, 205, 304) or HEAD carries none.
              [204, 205, 304].includes(status) || method === 'HEAD' ? null : Buffer.concat(chunks),
              { status, statusText, headers: answerHeaders },
            );
            // As fetch's: the URL that answered (Octokit's pagination reads it).
            Object.defineProperty(response, 'url', { value: url.href });
            return response;
          },
        });
      });
    });
    // As fetch: an abort rejects with the signal's reason; anything else is a TypeError whose
    // cause says what happened (Octokit reports the cause's message).
    function fail(error: Error) {
      reject(signal?.aborted ? signal.reason : new TypeError('fetch failed', { cause: error }));
    }
    request.on('error', fail);
    request.end(body);
  });
}
