import { createServer, type IncomingMessage } from 'node:http';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { Octokit } from '@octokit/core';
import { createAppAuth } from '@octokit/auth-app';
import { Webhooks } from '@octokit/webhooks';
import { waitFor } from '#libs/testing/src/index.js';
import { startGithubSimulator, type GithubSimulator } from '../src/index.js';

const SECRET = 'sim-webhook-secret';

/** Pull requests the simulator makes happen, and the routes the rules engine uses on them. */
describe('the GitHub simulator: pull requests, comments, labels, issues, statuses', () => {
  let sim: GithubSimulator;
  let octokit: Octokit;
  let receiver: {
    url: string;
    received: Array<{ headers: IncomingMessage['headers']; body: string }>;
    close(): void;
  };
  let owner: string;
  let repo: string;

  beforeAll(async () => {
    const received: Array<{ headers: IncomingMessage['headers']; body: string }> = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        received.push({ headers: req.headers, body });
        res.writeHead(202).end('{}');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    receiver = { url: `http://127.0.0.1:${port}/hook`, received, close: () => server.close() };
    sim = await startGithubSimulator({ repos: 3, webhookUrl: receiver.url, webhookSecret: SECRET });
    octokit = new Octokit({
      baseUrl: sim.url,
      authStrategy: createAppAuth,
      auth: { appId: sim.appId, privateKey: sim.privateKeyPem, installationId: sim.installationId },
    });
    owner = sim.org.login;
    repo = sim.org.repos[0]!.name;
  });

  afterAll(async () => {
    receiver?.close();
    await sim?.close();
  });

  test('given a made pull request, then 201 with its number and head, and a signed opened delivery', async () => {
    const made = await fetch(`${sim.url}/_simulator/repos/${owner}/${repo}/pulls`, {
      method: 'POST',
      body: JSON.stringify({ title: 'Add things', additions: 300, deletions: 20 }),
    });
    expect(made.status).toBe(201);
    const body = (await made.json()) as { number: number; head: { sha: string } };
    expect(body.head.sha).toMatch(/^[0-9a-f]{40}$/);
    const delivery = await waitFor(async () => receiver.received[0]);
    expect(delivery.headers['x-github-event']).toBe('pull_request');
    expect(
      await new Webhooks({ secret: SECRET }).verify(
        delivery.body,
        String(delivery.headers['x-hub-signature-256']),
      ),
    ).toBe(true);
    const payload = JSON.parse(delivery.body);
    expect(payload).toMatchObject({
      action: 'opened',
      number: body.number,
      pull_request: { head: { sha: body.head.sha }, additions: 300, deletions: 20 },
      installation: { id: sim.installationId },
      repository: { full_name: `${owner}/${repo}` },
    });

    const read = await octokit.request('GET /repos/{owner}/{repo}/pulls/{pull_number}', {
      owner,
      repo,
      pull_number: body.number,
    });
    expect(read.data).toMatchObject({
      additions: 300,
      deletions: 20,
      changed_files: 8,
      head: { sha: body.head.sha },
    });
    const listed = await octokit.request('GET /repos/{owner}/{repo}/pulls', {
      owner,
      repo,
      state: 'open',
    });
    expect(listed.data.map((p) => p.number)).toContain(body.number);
    expect(listed.data[0]).not.toHaveProperty('additions');
  });

  test('given a pull request, comments are created, listed and updated; labels and issues are added', async () => {
    const { number } = (await (
      await fetch(`${sim.url}/_simulator/repos/${owner}/${repo}/pulls`, {
        method: 'POST',
        body: JSON.stringify({ title: 'x', additions: 1, deletions: 0 }),
      })
    ).json()) as { number: number };
    const made = await octokit.request(
      'POST /repos/{owner}/{repo}/issues/{issue_number}/comments',
      { owner, repo, issue_number: number, body: 'one' },
    );
    expect(made.status).toBe(201);
    await octokit.request('PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}', {
      owner,
      repo,
      comment_id: made.data.id,
      body: 'two',
    });
    const comments = await octokit.request(
      'GET /repos/{owner}/{repo}/issues/{issue_number}/comments',
      { owner, repo, issue_number: number },
    );
    expect(comments.data.map((c) => c.body)).toEqual(['two']);
    const labels = await octokit.request(
      'POST /repos/{owner}/{repo}/issues/{issue_number}/labels',
      { owner, repo, issue_number: number, labels: ['size/L'] },
    );
    expect(labels.data.map((l) => l.name)).toEqual(['size/L']);
    const issue = await octokit.request('POST /repos/{owner}/{repo}/issues', {
      owner,
      repo,
      title: 'Follow-up',
      labels: ['bot'],
    });
    expect(issue.status).toBe(201);
    expect(issue.data.labels).toMatchObject([{ name: 'bot' }]);
    await expect(
      octokit.request('POST /repos/{owner}/{repo}/issues', { owner, repo, title: '' }),
    ).rejects.toMatchObject({ status: 422 });
  });

  test('given statuses on a commit, list newest first and combine newest per context', async () => {
    const sha = 'a'.repeat(40);
    const post = (state: 'success' | 'failure', context: string) =>
      octokit.request('POST /repos/{owner}/{repo}/statuses/{sha}', {
        owner,
        repo,
        sha,
        state,
        context,
        description: state,
      });
    await post('failure', 'ci/a');
    await post('success', 'ci/a');
    await post('success', 'ci/b');
    const listed = await octokit.request('GET /repos/{owner}/{repo}/commits/{ref}/statuses', {
      owner,
      repo,
      ref: sha,
    });
    expect(listed.data.map((s) => [s.context, s.state])).toEqual([
      ['ci/b', 'success'],
      ['ci/a', 'success'],
      ['ci/a', 'failure'],
    ]);
    const combined = await octokit.request('GET /repos/{owner}/{repo}/commits/{ref}/status', {
      owner,
      repo,
      ref: sha,
    });
    expect(combined.data).toMatchObject({ state: 'success', total_count: 2, sha });
    await post('failure', 'ci/b');
    const after = await octokit.request('GET /repos/{owner}/{repo}/commits/{ref}/status', {
      owner,
      repo,
      ref: sha,
    });
    expect(after.data.state).toBe('failure');
    await expect(
      octokit.request('POST /repos/{owner}/{repo}/statuses/{sha}', {
        owner,
        repo,
        sha,
        state: 'bogus' as 'success',
      }),
    ).rejects.toMatchObject({ status: 422 });
  });
});
