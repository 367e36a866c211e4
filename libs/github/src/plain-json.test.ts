import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Octokit } from '@octokit/core';
import { plainJson } from './plain-json.js';

/** Answers as GitHub does, by path: JSON, GraphQL, text, bytes and a 404 with a JSON body. */
const answers: Record<string, { status: number; type: string; body: string }> = {
  '/repos/acme/api': {
    status: 200,
    type: 'application/json; charset=utf-8',
    body: JSON.stringify({ id: 1296269, full_name: 'acme/api', private: false }),
  },
  '/graphql': {
    status: 200,
    type: 'application/json; charset=utf-8',
    body: JSON.stringify({ data: { viewer: { login: 'octocat' } } }),
  },
  '/big': {
    status: 200,
    type: 'application/json',
    body: '{"id":9007199254740993}',
  },
  '/zen': { status: 200, type: 'text/plain;charset=utf-8', body: 'Keep it logically awesome.' },
  '/bytes': { status: 200, type: 'application/octet-stream', body: 'raw' },
  '/missing': {
    status: 404,
    type: 'application/json; charset=utf-8',
    body: JSON.stringify({ message: 'Not Found' }),
  },
};

describe('plainJson', () => {
  let server: Server;
  let octokit: InstanceType<ReturnType<typeof Octokit.plugin>>;

  beforeAll(async () => {
    server = createServer((req, res) => {
      const answer = answers[new URL(req.url ?? '/', 'http://x').pathname]!;
      res.writeHead(answer.status, { 'content-type': answer.type });
      res.end(answer.body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    octokit = new (Octokit.plugin(plainJson))({ baseUrl: `http://127.0.0.1:${port}` });
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  test('a JSON answer, REST or GraphQL, is the parsed object', async () => {
    const repo = await octokit.request('GET /repos/{owner}/{repo}', { owner: 'acme', repo: 'api' });
    expect(repo.data).toEqual({ id: 1296269, full_name: 'acme/api', private: false });
    expect(await octokit.graphql('{ viewer { login } }')).toEqual({ viewer: { login: 'octocat' } });
  });

  test('reads with JSON.parse: an integer beyond 2^53 is the nearest number, not a BigInt', async () => {
    // Octokit's own reading would give 9007199254740993n; GitHub's ids stay far below 2^53.
    expect((await octokit.request('GET /big')).data).toEqual({ id: 9007199254740992 });
  });

  test('a call asked again by an outer plugin (a retry) is read again', async () => {
    const retried = new (Octokit.plugin(plainJson, (o: Octokit) => {
      o.hook.wrap('request', async (request, options) => {
        await request(options);
        return request(options);
      });
    }))({ baseUrl: octokit.request.endpoint.DEFAULTS.baseUrl });
    expect(
      (await retried.request('GET /repos/{owner}/{repo}', { owner: 'acme', repo: 'api' })).data,
    ).toMatchObject({ id: 1296269 });
  });

  test('text stays text and other bytes stay bytes, as Octokit reads them', async () => {
    expect((await octokit.request('GET /zen')).data).toBe('Keep it logically awesome.');
    const bytes = (await octokit.request('GET /bytes')).data as ArrayBuffer;
    expect(Buffer.from(bytes).toString()).toBe('raw');
  });

  test('an error is still Octokit’s, with its parsed body', async () => {
    await expect(octokit.request('GET /missing')).rejects.toMatchObject({
      status: 404,
      response: { data: { message: 'Not Found' } },
    });
  });

  test('a caller that asks for the raw stream gets it', async () => {
    const response = await octokit.request('GET /repos/{owner}/{repo}', {
      owner: 'acme',
      repo: 'api',
      request: { parseSuccessResponseBody: false },
    });
    expect(response.data).toBeInstanceOf(ReadableStream);
    expect(await new Response(response.data as ReadableStream).json()).toMatchObject({
      id: 1296269,
    });
  });
});
