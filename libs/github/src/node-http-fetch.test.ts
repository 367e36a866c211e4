import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GithubOctokit } from './github-octokit.js';
import { nodeHttpFetch } from './node-http-fetch.js';

interface Answer {
  status: number;
  headers?: Record<string, string>;
  body?: string;
}

/** A local server that answers each request as `answer` says. */
function startServer(
  answer: (req: IncomingMessage, body: string) => Answer,
): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const a = answer(req, body);
      res.writeHead(a.status, a.headers ?? {});
      res.end(a.body);
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }),
    ),
  );
}

const json = { 'content-type': 'application/json; charset=utf-8' };

describe('nodeHttpFetch, as the fetch of GithubOctokit', () => {
  let github: { server: Server; url: string };
  let elsewhere: { server: Server; url: string };
  const seen: Array<{ method: string; path: string; body: string; auth?: string }> = [];

  beforeAll(async () => {
    elsewhere = await startServer((req) => {
      seen.push({
        method: req.method!,
        path: `elsewhere${req.url}`,
        body: '',
        auth: req.headers.authorization,
      });
      return { status: 200, headers: json, body: '{}' };
    });
    github = await startServer((req, body): Answer => {
      seen.push({ method: req.method!, path: req.url!, body, auth: req.headers.authorization });
      const path = req.url!.split('?')[0]!;
      if (path === '/repos/acme/api')
        return {
          status: 200,
          headers: { ...json, etag: '"v1"' },
          body: '{"id":1,"full_name":"acme/api"}',
        };
      if (path === '/repos/acme/old-name')
        return { status: 301, headers: { location: '/repos/acme/api' } };
      if (path === '/repos/acme/old-name/statuses/abc')
        return { status: 307, headers: { location: '/repos/acme/api/statuses/abc' } };
      if (path === '/repos/acme/api/statuses/abc')
        return { status: 201, headers: json, body: body };
      if (path === '/repos/acme/moved-away')
        return { status: 302, headers: { location: `${elsewhere.url}/x` } };
      if (path === '/repos/acme/api/labels/x') return { status: 204 };
      if (path === '/repos/acme/cached') return { status: 304, headers: { etag: '"v1"' } };
      if (path === '/slow') return { status: 200, headers: json, body: '{}' };
      return { status: 404, headers: json, body: '{"message":"Not Found"}' };
    });
  });
  afterAll(async () => {
    await new Promise((r) => github.server.close(r));
    await new Promise((r) => elsewhere.server.close(r));
  });

  const octokit = () => new GithubOctokit({ baseUrl: github.url, auth: 'ghs_secret' });

  test('a GET answers its status, headers and parsed JSON', async () => {
    const answer = await octokit().request('GET /repos/{owner}/{repo}', {
      owner: 'acme',
      repo: 'api',
    });
    expect(answer.status).toBe(200);
    expect(answer.headers.etag).toBe('"v1"');
    expect(answer.data).toEqual({ id: 1, full_name: 'acme/api' });
  });

  test('a POST sends its JSON body and token', async () => {
    const made = await octokit().request('POST /repos/{owner}/{repo}/statuses/{sha}', {
      owner: 'acme',
      repo: 'api',
      sha: 'abc',
      state: 'success',
    });
    expect(made.status).toBe(201);
    expect(made.data).toEqual({ state: 'success' });
    expect(seen.at(-1)).toMatchObject({ method: 'POST', auth: 'token ghs_secret' });
  });

  test('a same-origin redirect is followed; 307 keeps the method and the body', async () => {
    const read = await octokit().request('GET /repos/{owner}/{repo}', {
      owner: 'acme',
      repo: 'old-name',
    });
    expect(read.data).toEqual({ id: 1, full_name: 'acme/api' });
    expect(read.url).toBe(`${github.url}/repos/acme/api`);
    const made = await octokit().request('POST /repos/{owner}/{repo}/statuses/{sha}', {
      owner: 'acme',
      repo: 'old-name',
      sha: 'abc',
      state: 'failure',
    });
    expect(made.data).toEqual({ state: 'failure' });
    expect(seen.at(-1)).toMatchObject({ method: 'POST', path: '/repos/acme/api/statuses/abc' });
  });

  test('a redirect to another origin is answered as it came, and the token stays home', async () => {
    const before = seen.length;
    const answer = await nodeHttpFetch(`${github.url}/repos/acme/moved-away`, {
      headers: { authorization: 'token ghs_secret' },
    });
    expect(answer.status).toBe(302);
    expect(seen.slice(before).map((s) => s.path)).toEqual(['/repos/acme/moved-away']);
  });

  test('204 has no body; 304 and 404 are Octokit errors with their status', async () => {
    const none = await octokit().request('DELETE /repos/{owner}/{repo}/labels/{name}', {
      owner: 'acme',
      repo: 'api',
      name: 'x',
    });
    expect(none.status).toBe(204);
    await expect(
      octokit().request('GET /repos/{owner}/{repo}', { owner: 'acme', repo: 'cached' }),
    ).rejects.toMatchObject({ status: 304 });
    await expect(
      octokit().request('GET /repos/{owner}/{repo}', { owner: 'acme', repo: 'nope' }),
    ).rejects.toMatchObject({ status: 404, message: expect.stringContaining('Not Found') });
  });

  test('an aborted call rejects with the signal reason; an unreachable host says why', async () => {
    const abort = new AbortController();
    const reason = new Error('gave up');
    abort.abort(reason);
    await expect(nodeHttpFetch(`${github.url}/slow`, { signal: abort.signal })).rejects.toBe(
      reason,
    );
    const closed = await startServer(() => ({ status: 200 }));
    await new Promise((r) => closed.server.close(r));
    await expect(
      new GithubOctokit({ baseUrl: closed.url }).request('GET /zen'),
    ).rejects.toMatchObject({
      status: 500,
      // Octokit's message is the cause's, outside Jest's realms: "connect ECONNREFUSED ...".
      cause: { message: 'fetch failed', cause: { code: 'ECONNREFUSED' } },
    });
  });

  test('a body that is not a string or bytes is refused', async () => {
    await expect(
      nodeHttpFetch(`${github.url}/slow`, { method: 'POST', body: new ReadableStream() as never }),
    ).rejects.toThrow(TypeError);
  });
});
