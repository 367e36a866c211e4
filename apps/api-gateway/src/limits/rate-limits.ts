import { Inject, Injectable } from '@nestjs/common';
import { normalizeIP } from '@fastify/rate-limit';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { SERVICE_CONFIG } from '#libs/service-kit/src/index.js';
import type { AuthContext } from '../auth/roles.js';
import { ApiError } from '../errors/api-error.js';
import { FixedWindows, type Window } from './fixed-windows.js';
import type { LimitsConfig } from './limits.config.js';

/** One limit: `max` per window for each key. */
class Limit extends FixedWindows {
  /** `max` as the header shows it, written once. */
  readonly shownMax: string;
  /** Passing answers carry this limit's headers once at most this many requests remain. */
  readonly showFrom: number;

  constructor(
    readonly max: number,
    windowMs: number,
    tracked: number,
  ) {
    super(windowMs, tracked);
    this.shownMax = String(max);
    this.showFrom = Math.floor(max / 2);
  }
}

declare module 'fastify' {
  interface FastifyReply {
    /**
     * The remaining count of the tightest limit the reply shows so far (Infinity: none yet), a
     * decoration (see `limitRequests`) so that no limit reads back and parses its headers.
     */
    rateLimitShown: number;
  }
}

/**
 * The gateway's three rate limits:
 * - per client address, before anything else (so a flood of random keys costs no lookups);
 * - failed authentications per address: past the limit, a key this replica does not already
 *   know is refused before it is looked up (brute-force protection);
 * - per API key, once the key is known.
 * A refusal is 429 with `Retry-After` and the draft IETF `RateLimit-Limit`, `-Remaining` and
 * `-Reset` headers. Answers that pass carry the headers of the tightest limit they met once a
 * client has spent half of that limit's budget, early enough to slow down.
 * Everything here is synchronous: it sits on every request.
 */
@Injectable()
export class RateLimits {
  private readonly byAddress?: Limit;
  private readonly byKey?: Limit;
  private readonly failedAuth?: Limit;

  constructor(@Inject(SERVICE_CONFIG) config: LimitsConfig) {
    if (!config.RATE_LIMITS_ENABLED) return;
    const window = config.RATE_LIMIT_WINDOW_MS;
    const tracked = config.RATE_LIMIT_TRACKED_CLIENTS;
    this.byAddress = new Limit(config.RATE_LIMIT_PER_ADDRESS, window, tracked);
    this.byKey = new Limit(config.RATE_LIMIT_PER_KEY, window, tracked);
    this.failedAuth = new Limit(config.RATE_LIMIT_FAILED_AUTH, window, tracked);
  }

  get enabled(): boolean {
    return this.byAddress !== undefined;
  }

  /** Counts a request from its address; throws 429 past the limit. */
  takeAddress(request: FastifyRequest, reply: FastifyReply): void {
    if (!this.byAddress) return;
    const window = this.byAddress.take(addressOf(request));
    judge(reply, this.byAddress, window, 'rate_limited', 'too many requests from this address');
  }

  /** Counts a request of an authenticated key; throws 429 past the limit. */
  takeKey(reply: FastifyReply, auth: AuthContext): void {
    if (!this.byKey) return;
    const window = this.byKey.take(auth.tokenId);
    judge(reply, this.byKey, window, 'rate_limited', 'too many requests for this key');
  }

  /** Before a key is looked up: throws 429 once the address spent its failed authentications. */
  refuseAfterFailures(request: FastifyRequest, reply: FastifyReply): void {
    if (!this.failedAuth) return;
    const window = this.failedAuth.peek(addressOf(request));
    if (window === undefined || window.count < this.failedAuth.max) return;
    judge(
      reply,
      this.failedAuth,
      { count: window.count + 1, endsAt: window.endsAt },
      'too_many_failed_authentications',
      'too many failed authentications from this address',
    );
  }

  /** Counts a refused key against its address. */
  countFailure(request: FastifyRequest): void {
    this.failedAuth?.take(addressOf(request));
  }
}

/** IPv6 clients count per /64, as @fastify/rate-limit does: one host usually holds a /64. */
function addressOf(request: FastifyRequest): string {
  const ip = request.ip;
  return ip.includes(':') ? normalizeIP(ip) : ip;
}

function judge(
  reply: FastifyReply,
  limit: Limit,
  window: Window,
  code: string,
  what: string,
): void {
  const exceeded = window.count > limit.max;
  const remaining = Math.max(0, limit.max - window.count);
  // A client that has not spent half of a budget has nothing to act on yet: three headers on
  // every answer were most of the limiter's cost (`npm run bench:gateway`).
  if (!exceeded && (remaining > limit.showFrom || remaining >= reply.rateLimitShown)) return;
  const resetSeconds = Math.max(1, Math.ceil((window.endsAt - Date.now()) / 1000));
  reply.rateLimitShown = remaining;
  reply.header('ratelimit-limit', limit.shownMax);
  reply.header('ratelimit-remaining', String(remaining));
  reply.header('ratelimit-reset', String(resetSeconds));
  if (!exceeded) return;
  const windowSeconds = Math.round(limit.windowMs / 1000);
  throw new ApiError(
    'rate_limited',
    code,
    `${what}: at most ${limit.max} per ${windowSeconds} s; retry in ${resetSeconds} s`,
    { limit: limit.max, windowSeconds },
    resetSeconds,
  );
}
