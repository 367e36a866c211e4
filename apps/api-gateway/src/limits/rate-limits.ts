import { createRequire } from 'node:module';
import { Inject, Injectable } from '@nestjs/common';
import { normalizeIP, type FastifyRateLimitStore } from '@fastify/rate-limit';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { SERVICE_CONFIG } from '#libs/service-kit/src/index.js';
import type { AuthContext } from '../auth/roles.js';
import { ApiError } from '../errors/api-error.js';
import type { LimitsConfig } from './limits.config.js';

interface Count {
  current: number;
  ttl: number;
}
type Store = FastifyRateLimitStore & {
  read(key: string, callback: (error: Error | null, result: Count) => void, window: number): void;
};
type StoreCtor = new (
  continueExceeding: boolean,
  exponentialBackoff: boolean,
  size: number,
) => Store;

/**
 * @fastify/rate-limit's in-memory store (a fixed window per key in an LRU map). Its callbacks run
 * synchronously; the plugin's own checkers wrap them in promises, which cost about a quarter of
 * the list route's throughput (`npm run bench:gateway`), so the gateway calls the store itself.
 */
const LocalStore = createRequire(import.meta.url)(
  '@fastify/rate-limit/store/LocalStore.js',
) as StoreCtor;

/** One limit: `max` per window for each key, counted in its own store. */
class Limit {
  private readonly store: Store;

  constructor(
    readonly max: number,
    readonly windowMs: number,
    tracked: number,
  ) {
    this.store = new LocalStore(false, false, tracked);
  }

  take(key: string): Count {
    let count: Count = { current: 0, ttl: this.windowMs };
    this.store.incr(key, (_error, result) => (count = result!), this.windowMs, this.max);
    return count;
  }

  peek(key: string): Count {
    let count: Count = { current: 0, ttl: 0 };
    this.store.read(key, (_error, result) => (count = result), this.windowMs);
    return count;
  }
}

const REMAINING = 'ratelimit-remaining';

/**
 * The gateway's three rate limits:
 * - per client address, before anything else (so a flood of random keys costs no lookups);
 * - failed authentications per address: past the limit, a key this replica does not already
 *   know is refused before it is looked up (brute-force protection);
 * - per API key, once the key is known.
 * A refusal is 429 with `Retry-After` and the draft IETF `RateLimit-Limit`, `-Remaining` and
 * `-Reset` headers; answers that pass carry the headers of the tightest limit they met.
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
    const count = this.byAddress.take(addressOf(request));
    judge(reply, this.byAddress, count, 'rate_limited', 'too many requests from this address');
  }

  /** Counts a request of an authenticated key; throws 429 past the limit. */
  takeKey(reply: FastifyReply, auth: AuthContext): void {
    if (!this.byKey) return;
    const count = this.byKey.take(auth.tokenId);
    judge(reply, this.byKey, count, 'rate_limited', 'too many requests for this key');
  }

  /** Before a key is looked up: throws 429 once the address spent its failed authentications. */
  refuseAfterFailures(request: FastifyRequest, reply: FastifyReply): void {
    if (!this.failedAuth) return;
    const count = this.failedAuth.peek(addressOf(request));
    if (count.current < this.failedAuth.max) return;
    judge(
      reply,
      this.failedAuth,
      { current: count.current + 1, ttl: count.ttl },
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

function judge(reply: FastifyReply, limit: Limit, count: Count, code: string, what: string): void {
  const exceeded = count.current > limit.max;
  const remaining = Math.max(0, limit.max - count.current);
  const resetSeconds = Math.max(1, Math.ceil(count.ttl / 1000));
  const shown = reply.getHeader(REMAINING);
  if (exceeded || shown === undefined || remaining < Number(shown)) {
    reply.header('ratelimit-limit', limit.max);
    reply.header(REMAINING, remaining);
    reply.header('ratelimit-reset', resetSeconds);
  }
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
