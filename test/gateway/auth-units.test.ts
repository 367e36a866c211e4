import { describe, expect, test } from '@jest/globals';
import { BadRequestException, HttpException } from '@nestjs/common';
import {
  generateTokenSecret,
  hashTokenSecret,
  isWellFormedToken,
  parseAuthorization,
  permissionsOf,
  TokenCache,
  type AuthContext,
} from '../../apps/api-gateway/src/auth/index.js';
import {
  ApiError,
  ApiExceptionFilter,
  toApiError,
} from '../../apps/api-gateway/src/errors/index.js';

const auth = (tokenId: string, memberId = 'm1'): AuthContext => ({
  workspaceId: 'w1',
  memberId,
  role: 'admin',
  permissions: permissionsOf('admin'),
  tokenId,
});

describe('API keys', () => {
  test('32 random bytes behind a prefix; the stored hash is SHA-256 of the whole key', () => {
    const a = generateTokenSecret();
    const b = generateTokenSecret();
    expect(a).not.toBe(b);
    expect(Buffer.from(a.slice(4), 'base64url')).toHaveLength(32);
    expect(isWellFormedToken(a)).toBe(true);
    expect(hashTokenSecret(a)).toHaveLength(32);
    expect(hashTokenSecret(a).equals(hashTokenSecret(a))).toBe(true);
    expect(hashTokenSecret(a).equals(hashTokenSecret(b))).toBe(false);
  });

  test('Token and Bearer, any case; anything else is malformed', () => {
    expect(parseAuthorization('Token abc')).toBe('abc');
    expect(parseAuthorization('bearer abc')).toBe('abc');
    expect(parseAuthorization('Basic abc')).toBeUndefined();
    expect(parseAuthorization('Token a b')).toBeUndefined();
    expect(parseAuthorization(undefined)).toBeUndefined();
    expect(isWellFormedToken('igw_short')).toBe(false);
  });

  test('roles map to permissions as the Snyk REST API says', () => {
    expect(permissionsOf('owner')).toEqual(['org.integration.read', 'org.integration.edit']);
    expect(permissionsOf('admin')).toContain('org.integration.edit');
    expect(permissionsOf('member')).toEqual(['org.integration.read']);
    expect(permissionsOf('viewer')).toEqual(['org.integration.read']);
  });
});

describe('token cache', () => {
  test('entries expire after the TTL', () => {
    let now = 0;
    const cache = new TokenCache(1000, 100, () => now);
    cache.set('h1', auth('t1'));
    cache.set('h2', null);
    expect(cache.get('h1')?.tokenId).toBe('t1');
    expect(cache.get('h2')).toBeNull();
    now = 1000;
    expect(cache.get('h1')).toBeUndefined();
    expect(cache.get('h2')).toBeUndefined();
  });

  test('forgets by token, by member and unknown keys; stays bounded', () => {
    const cache = new TokenCache(60_000, 10);
    cache.set('h1', auth('t1', 'm1'));
    cache.set('h2', auth('t2', 'm2'));
    cache.set('h3', null);
    cache.forgetTokens(['t1']);
    expect(cache.get('h1')).toBeUndefined();
    cache.forgetMembers(['m2']);
    expect(cache.get('h2')).toBeUndefined();
    cache.forgetUnknown();
    expect(cache.get('h3')).toBeUndefined();
    for (let i = 0; i < 50; i++) cache.set(`k${i}`, null);
    expect(cache.size).toBeLessThanOrEqual(10);
    expect(cache.get('k49')).toBeNull();
  });
});

describe('errors as /api renders them', () => {
  test('Fastify body errors wrapped by Nest map to 413, 415 and malformed JSON', () => {
    const wrap = (code: string, status: number) =>
      new HttpException('x', status, { cause: Object.assign(new Error('x'), { code }) });
    expect(toApiError(wrap('FST_ERR_CTP_BODY_TOO_LARGE', 413)).status).toBe(413);
    expect(toApiError(wrap('FST_ERR_CTP_INVALID_MEDIA_TYPE', 415)).status).toBe(415);
    const json = toApiError(wrap('FST_ERR_CTP_INVALID_JSON_BODY', 400));
    expect([json.status, json.code]).toEqual([400, 'malformed_json']);
  });

  test('our errors pass through; unknown ones are 500 without internals', () => {
    const mine = new ApiError('conflict', 'already_connected', 'x');
    expect(toApiError(mine)).toBe(mine);
    expect(toApiError(new BadRequestException('bad')).status).toBe(400);
    const internal = toApiError(new Error('password=hunter2'));
    expect(internal.status).toBe(500);
    expect(internal.message).not.toContain('hunter2');
  });
});

describe('the /api exception filter', () => {
  const render = (exception: unknown, url = '/api/rules') => {
    const sent: { status?: number; headers: Record<string, string>; body?: unknown } = {
      headers: {},
    };
    const reply = {
      status(code: number) {
        sent.status = code;
        return reply;
      },
      header(name: string, value: string) {
        sent.headers[name] = value;
        return reply;
      },
      type(value: string) {
        sent.headers['content-type'] = value;
        return reply;
      },
      send(body: unknown) {
        sent.body = body;
        return reply;
      },
    };
    const logged: unknown[] = [];
    const filter = new ApiExceptionFilter();
    Object.assign(filter, { logger: { error: (...args: unknown[]) => logged.push(args) } });
    filter.catch(exception, {
      getType: () => 'http',
      switchToHttp: () => ({ getRequest: () => ({ url }), getResponse: () => reply }),
    } as any);
    return { sent, logged };
  };

  test('an unexpected error is a 500 that names nothing internal, and is logged', () => {
    const { sent, logged } = render(new Error('relation "gateway.rules" does not exist'));
    expect(sent.status).toBe(500);
    expect(sent.body).toEqual({
      error: { code: 'internal', message: 'something went wrong on our side' },
    });
    expect(logged).toHaveLength(1);
  });

  test('unavailable adds Retry-After; details travel', () => {
    const { sent } = render(
      new ApiError('unavailable', 'service_unavailable', 'retry', { reason: 'timeout' }, 5),
    );
    expect(sent.status).toBe(503);
    expect(sent.headers['retry-after']).toBe('5');
    expect(sent.body).toEqual({
      error: { code: 'service_unavailable', message: 'retry', details: { reason: 'timeout' } },
    });
  });
});
