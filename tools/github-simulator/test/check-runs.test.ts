import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { Octokit } from '@octokit/core';
import { createAppAuth } from '@octokit/auth-app';
import { startGithubSimulator, type GithubSimulator } from '../src/index.js';

/** Check runs as a CI app makes them with its installation token, and as a commit lists them. */
describe('the GitHub simulator: check runs', () => {
  let sim: GithubSimulator;
  let octokit: Octokit;
  let owner: string;
  let repo: string;

  beforeAll(async () => {
    sim = await startGithubSimulator({ repos: 2 });
    octokit = new Octokit({
      baseUrl: sim.url,
      authStrategy: createAppAuth,
      auth: { appId: sim.appId, privateKey: sim.privateKeyPem, installationId: sim.installationId },
    });
    owner = sim.org.login;
    repo = sim.org.repos[0]!.name;
  });

  afterAll(() => sim?.close());

  const openPull = async (title: string) => {
    const made = await fetch(`${sim.url}/_simulator/repos/${owner}/${repo}/pulls`, {
      method: 'POST',
      body: JSON.stringify({ title, additions: 1, deletions: 0 }),
    });
    return (await made.json()) as { number: number; head: { sha: string; ref: string } };
  };
  const create = (body: Record<string, unknown>) =>
    octokit.request('POST /repos/{owner}/{repo}/check-runs', { owner, repo, ...body } as any);
  const list = async (ref: string, query: Record<string, unknown> = {}) =>
    (
      await octokit.request('GET /repos/{owner}/{repo}/commits/{ref}/check-runs', {
        owner,
        repo,
        ref,
        ...query,
      })
    ).data;

  test('given a conclusion, the run is completed; a re-run of the same name replaces it in `latest`', async () => {
    const pull = await openPull('re-run');
    const sha = pull.head.sha;
    const failed = await create({ name: 'test', head_sha: sha, conclusion: 'failure' });
    expect(failed.status).toBe(201);
    expect(failed.data).toMatchObject({ status: 'completed', conclusion: 'failure' });
    await create({ name: 'lint', head_sha: sha, status: 'in_progress' });
    await create({ name: 'test', head_sha: sha, conclusion: 'success' });

    const latest = await list(sha);
    expect(latest.total_count).toBe(2);
    expect(latest.check_runs.map((r) => [r.name, r.status, r.conclusion])).toEqual([
      ['test', 'completed', 'success'],
      ['lint', 'in_progress', null],
    ]);
    expect((await list(sha, { filter: 'all' })).total_count).toBe(3);
    expect((await list(sha, { status: 'in_progress' })).check_runs.map((r) => r.name)).toEqual([
      'lint',
    ]);
    // A branch names its head commit, as on GitHub.
    expect((await list(pull.head.ref)).total_count).toBe(2);
    expect((await list('0'.repeat(40))).total_count).toBe(0);
  });

  test('given more runs than a page, the list pages with a Link header', async () => {
    const { head } = await openPull('many');
    for (const name of ['a', 'b', 'c']) await create({ name, head_sha: head.sha });
    const first = await octokit.request('GET /repos/{owner}/{repo}/commits/{ref}/check-runs', {
      owner,
      repo,
      ref: head.sha,
      per_page: 2,
    });
    expect(first.data.total_count).toBe(3);
    expect(first.data.check_runs).toHaveLength(2);
    expect(first.headers.link).toMatch(/rel="next"/);
    const second = await list(head.sha, { per_page: 2, page: 2 });
    expect(second.check_runs.map((r) => r.name)).toEqual(['a']);
  });

  test('given a body GitHub refuses, 422 and nothing is made', async () => {
    const { head } = await openPull('refused');
    const refused = async (body: Record<string, unknown>) => {
      const error = await create(body).catch((e: { status: number }) => e);
      return (error as { status: number }).status;
    };
    expect(await refused({ head_sha: head.sha })).toBe(422);
    expect(await refused({ name: 'x', head_sha: 'not-a-sha' })).toBe(422);
    expect(await refused({ name: 'x', head_sha: head.sha, status: 'completed' })).toBe(422);
    expect(await refused({ name: 'x', head_sha: head.sha, conclusion: 'stale' })).toBe(422);
    expect((await list(head.sha)).total_count).toBe(0);
  });
});
