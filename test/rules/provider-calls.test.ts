import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { ProviderSubjects, type Reply } from '#libs/contracts/src/index.js';
import { startStack, type Stack } from '../support/stack.js';
import { client, createTeam, type Team } from '../support/gateway-api.js';
import { busClient } from './support/bus-client.js';
import { appClient } from './support/github-app.js';
import { openPull, pullState, startSimulators, type Simulators } from './support/simulators.js';

const BOT_TOKEN = 'xoxb-1111-2222-secret';

/**
 * `providers.cmd.check`, `providers.cmd.check-pulls` and `providers.cmd.act` over the bus against
 * the running integration service, with GitHub and Slack played by their simulators: values come
 * from the provider, actions land there, and credentials never come back.
 */
describe('provider calls for the rules engine', () => {
  let sims: Simulators;
  let stack: Stack;
  let team: Team;
  let bus: Awaited<ReturnType<typeof busClient>>;
  let repo: string;
  let full: string;

  const check = (data: unknown) => bus.request<any>(ProviderSubjects.check, team.workspaceId, data);
  const act = (data: unknown) => bus.request<any>(ProviderSubjects.act, team.workspaceId, data);
  const value = <T>(reply: Reply<T>): T => {
    if (!reply.ok) throw new Error(`expected ok, got ${JSON.stringify(reply.error)}`);
    return reply.value;
  };

  beforeAll(async () => {
    sims = await startSimulators();
    stack = await startStack(sims.env);
    team = await createTeam(stack, 'calls');
    const api = client(stack.gateway.url);
    repo = sims.github.org.repos[0]!.name;
    full = `${sims.github.org.login}/${repo}`;
    expect(
      (
        await api('POST', '/api/integrations/github/connect', {
          token: team.owner,
          body: {
            installationId: String(sims.github.installationId),
            accountLogin: sims.github.org.login,
          },
        })
      ).status,
    ).toBe(201);
    expect(
      (
        await api('POST', '/api/integrations/slack/connect', {
          token: team.owner,
          body: { botToken: BOT_TOKEN },
        })
      ).status,
    ).toBe(201);
    bus = await busClient(stack.nats.url);
  });

  afterAll(async () => {
    await bus?.close();
    await stack?.close();
    await sims?.close();
  });

  test('given a pull request, when its checks are read, then the values are GitHub’s', async () => {
    const pr = await openPull(sims.github, repo, {
      title: 'big change',
      additions: 420,
      deletions: 180,
      labels: ['backend'],
    });
    const result = value(
      await check({
        provider: 'github',
        checks: ['pr.changed_lines', 'pr.labels', 'pr.age', 'pr.last_activity_days', 'ci_status'],
        target: { repo: full, number: pr.number },
      }),
    );
    expect(result.values['pr.changed_lines']).toBe(600);
    expect(result.values['pr.labels']).toEqual(['backend']);
    expect(result.values['pr.age']).toBeGreaterThanOrEqual(0);
    expect(result.values['pr.age']).toBeLessThan(1);
    expect(result.values['pr.last_activity_days']).toBeLessThan(1);
    // No status and no check run yet: GitHub's combined state, pending.
    expect(result.values.ci_status).toBe('pending');
    // One read of the PR serves every PR check and the head sha for ci_status, which reads the
    // combined status and the check runs.
    expect(result.providerCalls).toBe(3);
  });

  test('given commit statuses and check runs, ci_status combines them as GitHub shows them', async () => {
    const gh = appClient(sims.github);
    const owner = sims.github.org.login;
    /** A new commit (a pull request's head) with these statuses and check runs on it. */
    const commit = async (
      statuses: string[],
      runs: Array<{ name: string; status?: string; conclusion?: string }>,
    ) => {
      const pr = await openPull(sims.github, repo, { title: 'ci', additions: 1, deletions: 0 });
      const sha = pr.head.sha;
      for (const [i, state] of statuses.entries()) {
        await gh.request('POST /repos/{owner}/{repo}/statuses/{sha}', {
          owner,
          repo,
          sha,
          state: state as 'success',
          context: `ci/${i}`,
        });
      }
      for (const run of runs) {
        await gh.request('POST /repos/{owner}/{repo}/check-runs', {
          owner,
          repo,
          head_sha: sha,
          ...(run as { name: string }),
        });
      }
      return pr;
    };
    const ciStatusOf = async (target: Record<string, unknown>) =>
      value(await check({ provider: 'github', checks: ['ci_status'], target })).values.ci_status;

    // A successful status and a failed GitHub Actions run: failure, read by sha.
    const failed = await commit(['success'], [{ name: 'build', conclusion: 'failure' }]);
    expect(await ciStatusOf({ repo: full, ref: failed.head.sha })).toBe('failure');
    // ... and by pull request, whose head is read first.
    expect(await ciStatusOf({ repo: full, number: failed.number })).toBe('failure');

    for (const conclusion of ['timed_out', 'cancelled', 'action_required']) {
      const pr = await commit([], [{ name: 'build', conclusion }]);
      expect({ conclusion, ci: await ciStatusOf({ repo: full, ref: pr.head.sha }) }).toEqual({
        conclusion,
        ci: 'failure',
      });
    }

    const running = await commit(['success'], [{ name: 'build', status: 'in_progress' }]);
    expect(await ciStatusOf({ repo: full, ref: running.head.sha })).toBe('pending');
    const queuedBesideFailedStatus = await commit(['failure'], [{ name: 'build' }]);
    expect(await ciStatusOf({ repo: full, ref: queuedBesideFailedStatus.head.sha })).toBe(
      'failure',
    );

    const passed = await commit(
      ['success'],
      [
        { name: 'build', conclusion: 'success' },
        { name: 'docs', conclusion: 'skipped' },
        { name: 'lint', conclusion: 'neutral' },
      ],
    );
    expect(await ciStatusOf({ repo: full, ref: passed.head.sha })).toBe('success');
    // Check runs alone (GitHub's combined status says pending without statuses): success.
    const actionsOnly = await commit([], [{ name: 'build', conclusion: 'success' }]);
    expect(await ciStatusOf({ repo: full, number: actionsOnly.number })).toBe('success');

    // A failed run re-run successfully: GitHub lists the newest run of each name.
    const rerun = await commit(
      [],
      [
        { name: 'build', conclusion: 'failure' },
        { name: 'build', conclusion: 'success' },
      ],
    );
    expect(await ciStatusOf({ repo: full, ref: rerun.head.sha })).toBe('success');
  });

  test('given repositories with and without protection, branch_protection says which', async () => {
    const protectedRepo = sims.github.org.repos.find((r) => r.protection)!;
    const open = sims.github.org.repos.find((r) => !r.protection)!;
    const of = async (name: string) =>
      value(
        await check({
          provider: 'github',
          checks: ['branch_protection'],
          target: { repo: `${sims.github.org.login}/${name}` },
        }),
      ).values.branch_protection;
    expect(await of(protectedRepo.name)).toBe(true);
    expect(await of(open.name)).toBe(false);
  });

  test('given 12 open pull requests, check-pulls reads them 10 at a time, one call per page', async () => {
    const other = sims.github.org.repos[1]!.name;
    for (let i = 1; i <= 12; i++) {
      await openPull(sims.github, other, { title: `pr ${i}`, additions: i * 10, deletions: 0 });
    }
    const first = value(
      await bus.request<any>(ProviderSubjects.checkPulls, team.workspaceId, {
        provider: 'github',
        repo: `${sims.github.org.login}/${other}`,
        checks: ['pr.changed_lines'],
      }),
    );
    expect(first.pulls).toHaveLength(10);
    expect(first.providerCalls).toBe(1);
    expect(first.pulls[0]).toMatchObject({ number: 12, values: { 'pr.changed_lines': 120 } });
    const second = value(
      await bus.request<any>(ProviderSubjects.checkPulls, team.workspaceId, {
        provider: 'github',
        repo: `${sims.github.org.login}/${other}`,
        checks: ['pr.changed_lines'],
        cursor: first.nextCursor,
      }),
    );
    expect(second.pulls.map((p: any) => p.number)).toEqual([2, 1]);
    expect(second.nextCursor).toBeNull();
  });

  test('given a pull request, GitHub actions comment, label, open an issue and post a status', async () => {
    const pr = await openPull(sims.github, repo, {
      title: 'act on me',
      additions: 1,
      deletions: 1,
    });
    const target = { repo: full, number: pr.number };
    value(
      await act({
        provider: 'github',
        method: 'pr_comment',
        params: { body: 'hello' },
        target,
        actionKey: 'k1',
      }),
    );
    value(
      await act({
        provider: 'github',
        method: 'add_label',
        params: { label: 'large' },
        target,
        actionKey: 'k2',
      }),
    );
    const issue = value(
      await act({
        provider: 'github',
        method: 'create_issue',
        params: { title: 'Follow up', body: 'from a rule', labels: ['bot'] },
        target: { repo: full },
        actionKey: 'k3',
      }),
    );
    expect(issue.ref.number).toBeGreaterThan(pr.number);
    value(
      await act({
        provider: 'github',
        method: 'create_status',
        params: { state: 'failure', context: 'tinyops/max-pr-size', description: 'too big' },
        target: { repo: full, ref: pr.head.sha },
        actionKey: 'k4',
      }),
    );
    const state = await pullState(sims.github, repo, pr.number);
    expect(state.comments.map((c) => c.body)).toEqual(['hello']);
    expect(state.pull.labels.map((l: any) => l.name)).toEqual(['large']);
    expect(state.statuses).toMatchObject([
      { state: 'failure', context: 'tinyops/max-pr-size', description: 'too big' },
    ]);
  });

  test('given an upserted comment, a second upsert edits it instead of adding one', async () => {
    const pr = await openPull(sims.github, repo, { title: 'warn me', additions: 1, deletions: 1 });
    const upsert = (body: string) =>
      act({
        provider: 'github',
        method: 'upsert_comment',
        params: { marker: '<!-- policy:size -->', body },
        target: { repo: full, number: pr.number },
        actionKey: body,
      });
    const first = value(await upsert('first words'));
    const second = value(await upsert('second words'));
    expect(second.ref.id).toBe(first.ref.id);
    const { comments } = await pullState(sims.github, repo, pr.number);
    expect(comments).toHaveLength(1);
    expect(comments[0].body).toContain('second words');
  });

  test('given more than 100 comments, an upsert finds its comment on a later page and edits it', async () => {
    const pr = await openPull(sims.github, repo, { title: 'chatty', additions: 1, deletions: 1 });
    // A hundred comments before the policy's first: its comment is the first of page 2.
    const simRepo = sims.github.org.repos[0]!;
    for (let i = 1; i <= 100; i++) sims.github.pulls.addComment(simRepo, pr.number, `chat ${i}`);
    const upsert = (body: string) =>
      act({
        provider: 'github',
        method: 'upsert_comment',
        params: { marker: '<!-- policy:chatty -->', body },
        target: { repo: full, number: pr.number },
        actionKey: `chatty ${body}`,
      });
    const first = value(await upsert('first words'));
    const second = value(await upsert('second words'));
    expect(second.ref).toEqual({ id: first.ref.id, updated: 1 });
    const { comments } = await pullState(sims.github, repo, pr.number);
    expect(comments).toHaveLength(101);
    const marked = comments.filter((c) => c.body.includes('<!-- policy:chatty -->'));
    expect(marked).toHaveLength(1);
    expect(marked[0].body).toContain('second words');
  });

  test('given Slack, member count and messages, DMs and files land there; the token never returns', async () => {
    const count = value(
      await check({
        provider: 'slack',
        checks: ['channel.member_count'],
        target: { channel: '#eng' },
      }),
    );
    expect(count.values['channel.member_count']).toBe(2);
    const sent = await act({
      provider: 'slack',
      method: 'send_message',
      params: { channel: '#eng', text: 'deploy done' },
      actionKey: 's1',
    });
    value(sent);
    value(
      await act({
        provider: 'slack',
        method: 'send_dm',
        params: { user: 'U0000000002', text: 'psst' },
        actionKey: 's2',
      }),
    );
    value(
      await act({
        provider: 'slack',
        method: 'upload_file',
        params: { channel: '#alerts', filename: 'report.txt', content: 'all good' },
        actionKey: 's3',
      }),
    );
    const messages = ((await (await fetch(`${sims.slack.url}/_simulator/messages`)).json()) as any)
      .messages;
    expect(messages.map((m: any) => [m.channel, m.text])).toEqual(
      expect.arrayContaining([
        ['C0000000002', 'deploy done'],
        [expect.stringMatching(/^D/), 'psst'],
      ]),
    );
    expect(messages.find((m: any) => m.file)?.file).toMatchObject({
      name: 'report.txt',
      content: 'all good',
    });
    expect(JSON.stringify(sent)).not.toContain(BOT_TOKEN);
  });

  test('given Slack rate limiting briefly, the call waits out Retry-After once and succeeds', async () => {
    sims.slack.rateLimitNext(1, 1);
    const reply = await act({
      provider: 'slack',
      method: 'send_message',
      params: { channel: '#general', text: 'later' },
      actionKey: 's4',
    });
    expect(reply.ok).toBe(true);
  });

  test('given failures at the provider, the reply is provider_error with the provider’s status', async () => {
    sims.github.setFailRate(1);
    try {
      const reply = await check({
        provider: 'github',
        checks: ['branch_protection'],
        target: { repo: full },
      });
      expect(reply).toMatchObject({
        ok: false,
        error: { kind: 'unavailable', code: 'provider_error', details: { status: 502 } },
      });
    } finally {
      sims.github.setFailRate(0);
    }
    sims.slack.rateLimitNext(5, 30);
    const limited = await act({
      provider: 'slack',
      method: 'send_message',
      params: { channel: '#eng', text: 'x' },
      actionKey: 's5',
    });
    expect(limited).toMatchObject({
      ok: false,
      error: { code: 'provider_error', details: { code: 'ratelimited', retryAfterSeconds: 30 } },
    });
    sims.slack.rateLimitNext(0);
    const missing = await act({
      provider: 'slack',
      method: 'send_message',
      params: { channel: '#nowhere', text: 'x' },
      actionKey: 's6',
    });
    expect(missing).toMatchObject({ ok: false, error: { details: { code: 'channel_not_found' } } });
  });

  test('given bad input or no connection, the reply says so and nothing is called', async () => {
    expect(await check({ provider: 'github', checks: ['pr.smell'], target: {} })).toMatchObject({
      ok: false,
      error: { kind: 'validation', code: 'unknown_check' },
    });
    expect(
      await check({ provider: 'github', checks: ['pr.age'], target: { repo: full } }),
    ).toMatchObject({ ok: false, error: { kind: 'validation', code: 'invalid_target' } });
    expect(
      await act({
        provider: 'github',
        method: 'add_label',
        params: { label: '' },
        target: { repo: full, number: 1 },
        actionKey: 'x',
      }),
    ).toMatchObject({ ok: false, error: { code: 'invalid_params' } });
    const stranger = await bus.request<any>(
      ProviderSubjects.check,
      '00000000-0000-4000-8000-000000000000',
      {
        provider: 'slack',
        checks: ['channel.member_count'],
        target: { channel: '#eng' },
      },
    );
    expect(stranger).toMatchObject({
      ok: false,
      error: { kind: 'conflict', code: 'not_connected' },
    });
  });
});
