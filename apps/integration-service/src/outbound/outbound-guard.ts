import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { request as httpRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { forbiddenRange } from './address-ranges.js';

/** What an operator allows of URLs that users supply (registry base URLs). */
export interface OutboundPolicy {
  /** `http:` as well as `https:` (PROVIDER_URL_ALLOW_HTTP). */
  allowHttp: boolean;
  /** Private, loopback and link-local addresses: on-premise registries (PROVIDER_URL_ALLOW_PRIVATE_ADDRESSES). */
  allowPrivateAddresses: boolean;
}

/** A call this service will not make, said in product terms. */
export class OutboundRefused extends Error {
  override name = 'OutboundRefused';
}

export interface OutboundResponse {
  status: number;
  body: unknown;
}

export interface OutboundRequest {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  timeoutMs: number;
  /** The URL came from a user: the operator's policy applies (operator-configured ones are trusted). */
  userSupplied: boolean;
}

const MAX_BODY_BYTES = 256 * 1024;

/**
 * Outbound calls to URLs a user supplied: https only unless the operator allows http, never to a
 * private, loopback, link-local, unique-local or metadata address unless the operator allows
 * them (an on-premise registry), checked when the URL is saved and again at every call, since
 * DNS answers change. At call time the connection goes to the very address that was checked (the
 * socket's `lookup` resolves, judges and hands back only judged addresses), and redirects are
 * answered, never followed.
 */
export class OutboundGuard {
  constructor(private readonly policy: OutboundPolicy) {}

  /** Save time: why this URL may not be called, or undefined when it may. */
  async whyNot(raw: string): Promise<string | undefined> {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      return 'is not a URL';
    }
    const scheme = this.schemeProblem(url);
    if (scheme) return scheme;
    if (this.policy.allowPrivateAddresses) return undefined;
    let addresses: string[];
    try {
      addresses = await resolve(url.hostname);
    } catch {
      // A name that does not resolve reaches nothing; the call-time check judges it again.
      return undefined;
    }
    for (const address of addresses) {
      const range = forbiddenRange(address);
      if (range) return pointsAt(range);
    }
    return undefined;
  }

  /** Call time: one request, pinned to the checked address, redirects not followed. */
  request(raw: string, init: OutboundRequest): Promise<OutboundResponse> {
    const url = new URL(raw);
    const guarded = init.userSupplied && !this.policy.allowPrivateAddresses;
    if (init.userSupplied) {
      const scheme = this.schemeProblem(url);
      if (scheme) return Promise.reject(new OutboundRefused(`the URL ${scheme}`));
    }
    const host = url.hostname.replace(/^\[|\]$/g, '');
    if (guarded && isIP(host)) {
      const range = forbiddenRange(host);
      if (range) return Promise.reject(new OutboundRefused(`the URL ${pointsAt(range)}`));
    }
    const options: RequestOptions = {
      method: init.method ?? 'GET',
      headers: init.headers ?? {},
      ...(guarded ? { lookup: checkedLookup } : {}),
    };
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise<OutboundResponse>((resolveResponse, reject) => {
      const req = send(url, options, (res) => {
        readBody(res).then(
          (text) => resolveResponse({ status: res.statusCode ?? 0, body: parse(text) }),
          reject,
        );
      });
      req.setTimeout(init.timeoutMs, () => req.destroy(new TimeoutError(init.timeoutMs)));
      req.once('error', reject);
      req.end(init.body);
    });
  }

  private schemeProblem(url: URL): string | undefined {
    if (url.protocol === 'https:') return undefined;
    if (url.protocol === 'http:') {
      return this.policy.allowHttp
        ? undefined
        : 'must use https (an operator may allow http with PROVIDER_URL_ALLOW_HTTP)';
    }
    return 'must be an https URL';
  }
}

class TimeoutError extends Error {
  override name = 'TimeoutError';
  constructor(readonly timeoutMs: number) {
    super(`no answer within ${timeoutMs} ms`);
  }
}

const pointsAt = (range: string) =>
  `points at a ${range} address, which this service does not call (an operator may allow private addresses with PROVIDER_URL_ALLOW_PRIVATE_ADDRESSES)`;

function resolve(hostname: string): Promise<string[]> {
  const host = hostname.replace(/^\[|\]$/g, '');
  if (isIP(host)) return Promise.resolve([host]);
  return new Promise((resolveAll, reject) =>
    dnsLookup(host, { all: true }, (error, addresses) =>
      error ? reject(error) : resolveAll(addresses.map((a) => a.address)),
    ),
  );
}

/**
 * The socket's resolver: every address the name resolves to is judged, and only judged ones are
 * handed to the connection, so DNS cannot answer one address to the check and another to the
 * connect.
 */
const checkedLookup: LookupFunction = (hostname, options, callback) => {
  const family =
    options.family === 'IPv4' ? 4 : options.family === 'IPv6' ? 6 : (options.family ?? 0);
  dnsLookup(hostname, { all: true, family }, (error, addresses: LookupAddress[]) => {
    if (error) return callback(error, options.all ? [] : '');
    for (const { address } of addresses) {
      const range = forbiddenRange(address);
      if (range) return callback(new OutboundRefused(`the URL ${pointsAt(range)}`), []);
    }
    if (options.all) return callback(null, addresses);
    callback(null, addresses[0]!.address, addresses[0]!.family);
  });
};

function readBody(res: IncomingMessage): Promise<string> {
  return new Promise((resolveText, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    res.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    res.once('end', () => resolveText(Buffer.concat(chunks).toString('utf8')));
    res.once('error', reject);
  });
}

function parse(text: string): unknown {
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Why a call failed, for a health answer: in product terms, never the socket's own words (which
 * would describe the internal network to whoever asks).
 */
export function describeFailure(error: unknown): string {
  if (error instanceof OutboundRefused) return error.message;
  if (error instanceof TimeoutError) return `did not answer within ${error.timeoutMs} ms`;
  const code =
    (error as { code?: string; cause?: { code?: string } }).code ??
    (error as { cause?: { code?: string } }).cause?.code;
  const name = (error as { name?: string }).name;
  if (name === 'TimeoutError' || name === 'AbortError') return 'did not answer in time';
  switch (code) {
    case 'ECONNREFUSED':
      return 'refused the connection';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_NONAME':
      return 'has a host name that does not resolve';
    case 'ETIMEDOUT':
    case 'UND_ERR_CONNECT_TIMEOUT':
      return 'did not answer in time';
    case 'ECONNRESET':
    case 'EPIPE':
    case 'UND_ERR_SOCKET':
    case 'HPE_INVALID_CONSTANT':
      return 'closed the connection without an HTTP answer';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'is not reachable from this service';
  }
  if (typeof code === 'string' && /CERT|TLS|SSL|SELF_SIGNED|DEPTH_ZERO/.test(code)) {
    return 'presented a TLS certificate that is not trusted';
  }
  return 'could not be reached';
}
