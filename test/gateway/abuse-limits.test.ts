import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { generateTokenSecret } from '../../apps/api-gateway/src/auth/token-secret.js';
import { ScanProgressFeed } from '../../apps/api-gateway/src/scans/scan-progress-feed.js';
import { startStack, type Stack } from '../support/stack.js';
import { createTeam, type Team } from '../support/gateway-api.js';

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: any;
}

/**
 * An HTTP client whose connections leave from `address` (any 127.x.y.z reaches the gateway on
 * Linux), so each test is its own client address and no test spends another's budget.
 */
function from(address: string, baseUrl: string) {
  const { port } = new URL(baseUrl);
  return (
    method: string,
    path: string,
    options: { token?: string; headers?: Record<string, string> } = {},
  ) =>
    new Promise<Answer>((resolve, reject) => {
      const req = httpRequest(
        {
          host: '127.0.0.1',
          port,
          method,
          path,
          localAddress: address,
          agent: false,
          headers: {
            ...(options.token ? { authorization: `Token ${options.token}` } : {}),
            ...options.headers,
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let body: unknown = text;
            try {
              body = JSON.parse(text);
            } catch {
              // not JSON: keep the text
            }
            resolve({ status: res.statusCode!, headers: res.headers, body });
          });
        },
      );
      req.on('error', reject);
      req.end();
    });
}

/** How often PostgreSQL scanned the API key table: one scan per key lookup. */
async function keyLookups(stack: Stack): Promise<number> {
  const [row] = await stack.db.query<{ scans: string }>(
    `SELECT (coalesce(seq_scan, 0) + coalesce(idx_scan, 0))::text AS scans
       FROM pg_stat_user_tables WHERE schemaname = 'gateway' AND relname = 'api_tokens'`,
  );
  return Number(row!.scans);
}

/** A backend reports its table statistics at most 10 s after its last transaction. */
const STATS_FLUSH_MS = 11_000;

const PER_ADDRESS = 40;
const PER_KEY = 15;
const FAILED_AUTH = 10;
const STREAMS_PER_KEY = 2;
/** The one hop whose X-Forwarded-For the gateway believes (TRUST_PROXY). */
const BALANCER = '127.0.0.20';

describe('rate limits, security headers and stream caps on the gateway', () => {
  let stack: Stack;
  /** The gateway's 429 answers so far, over every route (`http_refusals_total`). */
  const refusals429 = async () => {
    const text = await (await fetch(`${stack.gateway.url}/metrics`)).text();
    return [...text.matchAll(/^http_refusals_total\{[^}]*status="429"[^}]*\} (\d+)$/gm)].reduce(
      (sum, m) => sum + Number(m[1]),
      0,
    );
  };
  let team: Team;

  beforeAll(async () => {
    stack = await startStack({
      RATE_LIMIT_PER_ADDRESS: String(PER_ADDRESS),
      RATE_LIMIT_PER_KEY: String(PER_KEY),
      RATE_LIMIT_FAILED_AUTH: String(FAILED_AUTH),
      SSE_STREAMS_PER_KEY: String(STREAMS_PER_KEY),
      WEBHOOK_MAX_IN_FLIGHT: '2',
      TRUST_PROXY: BALANCER,
    });
    team = await createTeam(stack, 'acme');
  });

  afterAll(async () => {
    await stack?.close();
  });

  test('given one address, when it passes its per-address limit, then 429 with Retry-After and RateLimit headers in each API shape', async () => {
    const call = from('127.0.0.2', stack.gateway.url);
    const refusalsBefore = await refusals429();
    // Answers that pass show the budget once half of it is spent.
    for (let i = 1; i <= PER_ADDRESS; i++) {
      const ok = await call('GET', '/api/docs-json');
      expect(ok.status).toBe(200);
      const shown = PER_ADDRESS - i <= PER_ADDRESS / 2;
      expect(ok.headers['ratelimit-limit']).toBe(shown ? String(PER_ADDRESS) : undefined);
      expect(ok.headers['ratelimit-remaining']).toBe(shown ? String(PER_ADDRESS - i) : undefined);
    }
    const refused = await call('GET', '/api/integrations', { token: team.viewer });
    expect(refused.status).toBe(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect(refused.headers['ratelimit-limit']).toBe(String(PER_ADDRESS));
    expect(refused.headers['ratelimit-remaining']).toBe('0');
    expect(Number(refused.headers['ratelimit-reset'])).toBeGreaterThan(0);
    expect(refused.body).toEqual({
      error: {
        code: 'rate_limited',
        message: expect.stringMatching(/too many requests from this address/),
        details: { limit: PER_ADDRESS, windowSeconds: 60 },
      },
    });

    const rest = await call(
      'GET',
      `/rest/orgs/${team.workspaceId}/integrations?version=2026-03-25`,
      {
        token: team.viewer,
      },
    );
    expect(rest.status).toBe(429);
    expect(rest.headers['content-type']).toBe('application/vnd.api+json');
    expect(rest.headers['retry-after']).toBeDefined();
    expect(rest.body.errors).toEqual([
      expect.objectContaining({ status: '429', code: 'rate_limited' }),
    ]);

    // Probes from the same address still answer: a balancer must not see the gateway as down.
    expect((await call('GET', '/health/live')).status).toBe(200);
    // And ops see both refusals on /metrics, apart from other answers.
    expect(await refusals429()).toBe(refusalsBefore + 2);
  });

  test('given one key, when it passes its per-key limit, then it gets 429 while another key from the same address does not', async () => {
    const call = from('127.0.0.3', stack.gateway.url);
    for (let i = 1; i <= PER_KEY; i++) {
      const ok = await call('GET', '/api/integrations', { token: team.member });
      expect(ok.status).toBe(200);
      const shown = PER_KEY - i <= Math.floor(PER_KEY / 2);
      expect(ok.headers['ratelimit-remaining']).toBe(shown ? String(PER_KEY - i) : undefined);
    }
    const refused = await call('GET', '/api/integrations', { token: team.member });
    expect(refused.status).toBe(429);
    expect(refused.body.error.message).toMatch(/too many requests for this key/);
    expect(refused.headers['ratelimit-limit']).toBe(String(PER_KEY));
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);

    // A Nest route (not the list's fast path) counts against the same key.
    const members = await call('GET', '/api/workspace/members', { token: team.member });
    expect(members.status).toBe(429);

    const other = await call('GET', '/api/integrations', { token: team.admin });
    expect(other.status).toBe(200);
  });

  test('given random keys from one address, when it passes its failed-authentication limit, then further keys get 429 and cost no database lookup', async () => {
    const call = from('127.0.0.4', stack.gateway.url);
    for (let i = 0; i < FAILED_AUTH; i++) {
      const r = await call('GET', '/api/integrations', { token: generateTokenSecret() });
      expect(r.status).toBe(401);
    }
    await sleep(STATS_FLUSH_MS);
    const before = await keyLookups(stack);
    expect(before).toBeGreaterThanOrEqual(FAILED_AUTH);

    const statuses: number[] = [];
    for (let i = 0; i < PER_ADDRESS - FAILED_AUTH - 5; i++) {
      const r = await call('GET', '/api/workspace/members', { token: generateTokenSecret() });
      statuses.push(r.status);
      expect(r.body.error.code).toBe('too_many_failed_authentications');
      expect(Number(r.headers['retry-after'])).toBeGreaterThan(0);
    }
    expect(new Set(statuses)).toEqual(new Set([429]));
    await sleep(STATS_FLUSH_MS);
    expect(await keyLookups(stack)).toBe(before);

    // Another address is not affected: its unknown key is looked up and refused as usual.
    const elsewhere = from('127.0.0.14', stack.gateway.url);
    expect(
      (await elsewhere('GET', '/api/integrations', { token: generateTokenSecret() })).status,
    ).toBe(401);
  }, 60_000);

  test('given any answer, then it carries the standard security headers; Swagger UI runs under the policy and keeps no key', async () => {
    const call = from('127.0.0.5', stack.gateway.url);
    const answers = [
      await call('GET', '/api/integrations', { token: team.viewer }),
      await call('GET', '/api/integrations'),
      await call('GET', `/rest/orgs/${team.workspaceId}/integrations?version=2026-03-25`, {
        token: team.viewer,
      }),
      await call('GET', '/health/live'),
      await call('GET', '/health/ready'),
      await call('GET', '/api/docs'),
    ];
    expect(answers.map((a) => a.status)).toEqual([200, 401, 200, 200, 200, 200]);
    for (const answer of answers) {
      expect(answer.headers['x-content-type-options']).toBe('nosniff');
      expect(answer.headers['strict-transport-security']).toMatch(/max-age=\d+/);
      expect(answer.headers['x-frame-options']).toBe('SAMEORIGIN');
      expect(answer.headers['referrer-policy']).toBe('no-referrer');
      expect(answer.headers['content-security-policy']).toMatch(/script-src 'self'/);
    }
    const page = answers.at(-1)!.body as string;
    expect(page).not.toMatch(/<script>/);
    const scripts = [...page.matchAll(/<script src="([^"]+)"/g)].map((m) => m[1]!);
    for (const src of scripts) expect((await call('GET', src)).status).toBe(200);
    const initializer = await call('GET', '/api/docs/swagger-initializer.js');
    expect(initializer.body).toMatch(/persistAuthorization: false/);
  });

  test('given a trusted balancer, then clients behind it each have their own address budget, and nobody else can pick an address', async () => {
    const balancer = from(BALANCER, stack.gateway.url);
    const viaBalancer = (client: string) =>
      balancer('GET', '/api/docs-json', { headers: { 'x-forwarded-for': client } });
    for (let i = 0; i < PER_ADDRESS; i++)
      expect((await viaBalancer('203.0.113.7')).status).toBe(200);
    expect((await viaBalancer('203.0.113.7')).status).toBe(429);
    // Another client behind the same balancer has its own budget.
    expect((await viaBalancer('203.0.113.8')).status).toBe(200);

    // A client that is not the balancer names a new address on every request, and is still
    // counted as the address it connects from.
    const spoofer = from('127.0.0.21', stack.gateway.url);
    const statuses: number[] = [];
    for (let i = 0; i <= PER_ADDRESS; i++) {
      const answer = await spoofer('GET', '/api/docs-json', {
        headers: { 'x-forwarded-for': `198.51.100.${i}` },
      });
      statuses.push(answer.status);
    }
    expect(statuses.at(-1)).toBe(429);
    expect(statuses.slice(0, PER_ADDRESS)).toEqual(Array(PER_ADDRESS).fill(200));
  });

  test('given a key with its streams open, when it opens one more, then 429; streams share one poller and end when the gateway stops', async () => {
    const url = `${stack.gateway.url}/api/integrations/github/scan-progress/stream`;
    const open = () => fetch(url, { headers: { authorization: `Token ${team.owner}` } });
    const streams = [];
    for (let i = 0; i < STREAMS_PER_KEY; i++) {
      const stream = await open();
      expect(stream.status).toBe(200);
      expect(stream.headers.get('x-content-type-options')).toBe('nosniff');
      streams.push(stream);
    }
    const refused = await open();
    expect(refused.status).toBe(429);
    expect(((await refused.json()) as any).error.code).toBe('too_many_streams');
    expect(refused.headers.get('retry-after')).toBeDefined();

    const feed = stack.gateway.app.get(ScanProgressFeed);
    expect(feed.size).toBe(STREAMS_PER_KEY);

    // The first event arrives from the shared poller.
    const reader = streams[0]!.body!.getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    expect(first).toMatch(/^event: progress\ndata: \{"status":"idle"/);

    // Closing one frees its slot.
    await streams[1]!.body!.cancel();
    for (let i = 0; i < 100 && feed.size !== 1; i++) await sleep(50);
    const again = await open();
    expect(again.status).toBe(200);

    // Shutdown ends every open stream instead of waiting on them.
    await stack.gateway.close();
    let ended = false;
    while (!ended) ended = (await reader.read()).done;
    expect(ended).toBe(true);
    expect(feed.size).toBe(0);
    await again.body!.cancel().catch(() => undefined);
  }, 30_000);
});

describe('webhook intake under load', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack({ WEBHOOK_MAX_IN_FLIGHT: '2', GITHUB_WEBHOOK_SECRET: 'whsec' });
  });

  afterAll(async () => {
    await stack?.close();
  });

  test('given two deliveries being received, when a third arrives, then 503 with Retry-After before its body is read', async () => {
    const { port } = new URL(stack.gateway.url);
    const slow = [0, 1].map(() => {
      const req = httpRequest({
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/api/webhooks/github',
        headers: { 'content-type': 'application/json', 'content-length': '1000' },
      });
      req.on('error', () => undefined);
      req.write('{"zen":');
      return req;
    });
    await sleep(500);
    const busy = await fetch(`${stack.gateway.url}/api/webhooks/github`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(busy.status).toBe(503);
    expect(busy.headers.get('retry-after')).toBe('1');
    expect(((await busy.json()) as any).error.code).toBe('busy');

    for (const req of slow) req.destroy();
    let status = 503;
    for (let i = 0; i < 100 && status === 503; i++) {
      await sleep(50);
      status = (
        await fetch(`${stack.gateway.url}/api/webhooks/github`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{}',
        })
      ).status;
    }
    // Past the bound again: the delivery reaches signature checking (and fails it).
    expect(status).toBe(401);
  }, 30_000);
});
