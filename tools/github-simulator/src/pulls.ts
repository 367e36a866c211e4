import { createHash, createHmac, randomUUID } from 'node:crypto';
import type { components } from '@octokit/openapi-types';
import type { SimOrg, SimRepo } from './org.js';
import { minimalRepository, nodeId, simpleUser } from './representations.js';

/**
 * Pull requests, issues, comments, labels and commit statuses: what the rules engine reads and
 * writes through the integration service. Bodies are typed with GitHub's published OpenAPI
 * schemas (`@octokit/openapi-types`).
 */
type Schemas = components['schemas'];
export type PullRequest = Schemas['pull-request'];
export type PullRequestSimple = Schemas['pull-request-simple'];
export type IssueComment = Schemas['issue-comment'];
export type Issue = Schemas['issue'];
export type Label = Schemas['label'];
export type Status = Schemas['status'];
export type CombinedCommitStatus = Schemas['combined-commit-status'];

export interface SimPull {
  number: number;
  title: string;
  additions: number;
  deletions: number;
  changedFiles: number;
  headSha: string;
  headRef: string;
  labels: string[];
  state: 'open' | 'closed';
  author: string;
  createdAt: string;
  updatedAt: string;
}

export interface SimIssue {
  number: number;
  title: string;
  body: string | null;
  labels: string[];
  createdAt: string;
  /** Set when the issue is a pull request's conversation. */
  pull: boolean;
}

export interface SimComment {
  id: number;
  issueNumber: number;
  body: string;
  createdAt: string;
  updatedAt: string;
}

export interface SimStatus {
  id: number;
  state: 'error' | 'failure' | 'pending' | 'success';
  context: string;
  description: string | null;
  targetUrl: string | null;
  createdAt: string;
}

/** Everything of one repository that is not the repository itself. */
interface RepoActivity {
  pulls: Map<number, SimPull>;
  issues: Map<number, SimIssue>;
  comments: SimComment[];
  /** Statuses per commit sha, newest last. */
  statuses: Map<string, SimStatus[]>;
  nextNumber: number;
}

const BOT = { id: 9_000_001, login: 'integrations-platform[bot]' };
const AUTHOR = { id: 9_000_002, login: 'octocat' };

export class PullStore {
  private readonly byRepo = new Map<string, RepoActivity>();
  private nextId = 1;

  constructor(private readonly org: SimOrg) {}

  activity(repo: SimRepo): RepoActivity {
    let found = this.byRepo.get(repo.name.toLowerCase());
    if (!found) {
      found = {
        pulls: new Map(),
        issues: new Map(),
        comments: [],
        statuses: new Map(),
        nextNumber: 1,
      };
      this.byRepo.set(repo.name.toLowerCase(), found);
    }
    return found;
  }

  openPull(
    repo: SimRepo,
    input: { title: string; additions: number; deletions: number; labels?: string[] },
  ): SimPull {
    const a = this.activity(repo);
    const now = new Date().toISOString();
    const number = a.nextNumber++;
    const pull: SimPull = {
      number,
      title: input.title,
      additions: input.additions,
      deletions: input.deletions,
      changedFiles: Math.max(1, Math.ceil((input.additions + input.deletions) / 40)),
      headSha: sha(`${repo.name}#${number}:${randomUUID()}`),
      headRef: `feature-${number}`,
      labels: [...(input.labels ?? [])],
      state: 'open',
      author: AUTHOR.login,
      createdAt: now,
      updatedAt: now,
    };
    a.pulls.set(number, pull);
    a.issues.set(number, {
      number,
      title: input.title,
      body: null,
      labels: pull.labels,
      createdAt: now,
      pull: true,
    });
    return pull;
  }

  /** New commits on the PR's branch: a new head sha and new sizes. */
  pushToPull(pull: SimPull, input: { additions?: number; deletions?: number }): SimPull {
    pull.additions = input.additions ?? pull.additions;
    pull.deletions = input.deletions ?? pull.deletions;
    pull.changedFiles = Math.max(1, Math.ceil((pull.additions + pull.deletions) / 40));
    pull.headSha = sha(`${pull.headSha}:${randomUUID()}`);
    pull.updatedAt = new Date().toISOString();
    return pull;
  }

  createIssue(
    repo: SimRepo,
    input: { title: string; body?: string | null; labels?: string[] },
  ): SimIssue {
    const a = this.activity(repo);
    const number = a.nextNumber++;
    const issue: SimIssue = {
      number,
      title: input.title,
      body: input.body ?? null,
      labels: [...new Set(input.labels ?? [])],
      createdAt: new Date().toISOString(),
      pull: false,
    };
    a.issues.set(number, issue);
    return issue;
  }

  addComment(repo: SimRepo, issueNumber: number, body: string): SimComment {
    const now = new Date().toISOString();
    const comment = { id: this.nextId++, issueNumber, body, createdAt: now, updatedAt: now };
    this.activity(repo).comments.push(comment);
    return comment;
  }

  addStatus(
    repo: SimRepo,
    commitSha: string,
    input: Omit<SimStatus, 'id' | 'createdAt'>,
  ): SimStatus {
    const a = this.activity(repo);
    const status: SimStatus = { ...input, id: this.nextId++, createdAt: new Date().toISOString() };
    const list = a.statuses.get(commitSha) ?? [];
    list.push(status);
    a.statuses.set(commitSha, list);
    return status;
  }

  /** The commit sha a ref names: a PR head, a branch (the newest PR on it), or the sha itself. */
  resolveRef(repo: SimRepo, ref: string): string {
    const a = this.activity(repo);
    for (const pull of a.pulls.values()) if (pull.headRef === ref) return pull.headSha;
    if (ref === repo.defaultBranch) return sha(`${repo.name}:${repo.defaultBranch}`);
    return ref;
  }

  // ---- representations ----

  pullRequest(base: string, repo: SimRepo, pull: SimPull): PullRequest {
    const repository = minimalRepository(
      base,
      this.org,
      repo,
      false,
    ) as unknown as PullRequest['base']['repo'];
    const url = `${base}/repos/${this.org.login}/${repo.name}/pulls/${pull.number}`;
    const issueUrl = `${base}/repos/${this.org.login}/${repo.name}/issues/${pull.number}`;
    const html = `https://github.com/${this.org.login}/${repo.name}/pull/${pull.number}`;
    const user = simpleUser(base, AUTHOR);
    const id = repo.id * 10_000 + pull.number;
    return {
      url,
      id,
      node_id: nodeId('PR', id),
      html_url: html,
      diff_url: `${html}.diff`,
      patch_url: `${html}.patch`,
      issue_url: issueUrl,
      commits_url: `${url}/commits`,
      review_comments_url: `${url}/comments`,
      review_comment_url: `${base}/repos/${this.org.login}/${repo.name}/pulls/comments{/number}`,
      comments_url: `${issueUrl}/comments`,
      statuses_url: `${base}/repos/${this.org.login}/${repo.name}/statuses/${pull.headSha}`,
      number: pull.number,
      state: pull.state,
      locked: false,
      title: pull.title,
      user,
      body: null,
      labels: pull.labels.map((name) => this.label(base, repo, name)),
      milestone: null,
      active_lock_reason: null,
      created_at: pull.createdAt,
      updated_at: pull.updatedAt,
      closed_at: null,
      merged_at: null,
      merge_commit_sha: null,
      assignee: null,
      assignees: [],
      requested_reviewers: [],
      requested_teams: [],
      head: {
        label: `${this.org.login}:${pull.headRef}`,
        ref: pull.headRef,
        sha: pull.headSha,
        user,
        repo: repository,
      },
      base: {
        label: `${this.org.login}:${repo.defaultBranch}`,
        ref: repo.defaultBranch,
        sha: sha(`${repo.name}:${repo.defaultBranch}`),
        user,
        repo: repository,
      },
      _links: {
        self: { href: url },
        html: { href: html },
        issue: { href: issueUrl },
        comments: { href: `${issueUrl}/comments` },
        review_comments: { href: `${url}/comments` },
        review_comment: {
          href: `${base}/repos/${this.org.login}/${repo.name}/pulls/comments{/number}`,
        },
        commits: { href: `${url}/commits` },
        statuses: { href: `${base}/repos/${this.org.login}/${repo.name}/statuses/${pull.headSha}` },
      },
      author_association: 'MEMBER',
      auto_merge: null,
      draft: false,
      merged: false,
      mergeable: true,
      rebaseable: true,
      mergeable_state: 'clean',
      merged_by: null,
      comments: this.activity(repo).comments.filter((c) => c.issueNumber === pull.number).length,
      review_comments: 0,
      maintainer_can_modify: false,
      commits: 1,
      additions: pull.additions,
      deletions: pull.deletions,
      changed_files: pull.changedFiles,
    };
  }

  /** The list representation (`pull-request-simple`): no sizes, as GitHub lists them. */
  pullRequestSimple(base: string, repo: SimRepo, pull: SimPull): PullRequestSimple {
    const {
      additions: _a,
      deletions: _d,
      changed_files: _c,
      merged: _m,
      mergeable: _mg,
      rebaseable: _r,
      mergeable_state: _ms,
      merged_by: _mb,
      comments: _cm,
      review_comments: _rc,
      maintainer_can_modify: _mcm,
      commits: _cs,
      ...simple
    } = this.pullRequest(base, repo, pull);
    return simple as PullRequestSimple;
  }

  label(base: string, repo: SimRepo, name: string): Label {
    const id = Number.parseInt(sha(`label:${name}`).slice(0, 8), 16);
    return {
      id,
      node_id: nodeId('LA', id),
      url: `${base}/repos/${this.org.login}/${repo.name}/labels/${encodeURIComponent(name)}`,
      name,
      description: null,
      color: sha(name).slice(0, 6),
      default: false,
    };
  }

  comment(base: string, repo: SimRepo, c: SimComment): IssueComment {
    const url = `${base}/repos/${this.org.login}/${repo.name}/issues/comments/${c.id}`;
    return {
      id: c.id,
      node_id: nodeId('IC', c.id),
      url,
      html_url: `https://github.com/${this.org.login}/${repo.name}/issues/${c.issueNumber}#issuecomment-${c.id}`,
      body: c.body,
      user: simpleUser(base, BOT, 'User'),
      created_at: c.createdAt,
      updated_at: c.updatedAt,
      issue_url: `${base}/repos/${this.org.login}/${repo.name}/issues/${c.issueNumber}`,
      author_association: 'NONE',
    };
  }

  issue(base: string, repo: SimRepo, i: SimIssue): Issue {
    const url = `${base}/repos/${this.org.login}/${repo.name}/issues/${i.number}`;
    const id = repo.id * 10_000 + i.number;
    return {
      id,
      node_id: nodeId('I', id),
      url,
      repository_url: `${base}/repos/${this.org.login}/${repo.name}`,
      labels_url: `${url}/labels{/name}`,
      comments_url: `${url}/comments`,
      events_url: `${url}/events`,
      html_url: `https://github.com/${this.org.login}/${repo.name}/issues/${i.number}`,
      number: i.number,
      state: 'open',
      title: i.title,
      body: i.body,
      user: simpleUser(base, BOT),
      labels: i.labels.map((name) => this.label(base, repo, name)),
      assignee: null,
      assignees: [],
      milestone: null,
      locked: false,
      active_lock_reason: null,
      comments: this.activity(repo).comments.filter((c) => c.issueNumber === i.number).length,
      closed_at: null,
      created_at: i.createdAt,
      updated_at: i.createdAt,
      author_association: 'NONE',
      ...(i.pull
        ? {
            pull_request: {
              url: `${base}/repos/${this.org.login}/${repo.name}/pulls/${i.number}`,
              html_url: `https://github.com/${this.org.login}/${repo.name}/pull/${i.number}`,
              diff_url: `https://github.com/${this.org.login}/${repo.name}/pull/${i.number}.diff`,
              patch_url: `https://github.com/${this.org.login}/${repo.name}/pull/${i.number}.patch`,
              merged_at: null,
            },
          }
        : {}),
    };
  }

  status(base: string, repo: SimRepo, s: SimStatus): Status {
    return {
      url: `${base}/repos/${this.org.login}/${repo.name}/statuses/${s.id}`,
      avatar_url: null,
      id: s.id,
      node_id: nodeId('SC', s.id),
      state: s.state,
      description: s.description,
      target_url: s.targetUrl,
      context: s.context,
      created_at: s.createdAt,
      updated_at: s.createdAt,
      creator: simpleUser(base, BOT),
    };
  }

  /** GitHub's combined status: the newest status per context; failure beats pending beats success. */
  combined(base: string, repo: SimRepo, commitSha: string): CombinedCommitStatus {
    const all = this.activity(repo).statuses.get(commitSha) ?? [];
    const latest = new Map<string, SimStatus>();
    for (const s of all) latest.set(s.context, s);
    const statuses = [...latest.values()];
    const state = statuses.some((s) => s.state === 'failure' || s.state === 'error')
      ? 'failure'
      : statuses.length === 0 || statuses.some((s) => s.state === 'pending')
        ? 'pending'
        : 'success';
    return {
      state,
      sha: commitSha,
      total_count: statuses.length,
      statuses: statuses.map((s) => ({ ...this.status(base, repo, s), required: false })),
      repository: minimalRepository(base, this.org, repo, false),
      commit_url: `${base}/repos/${this.org.login}/${repo.name}/commits/${commitSha}`,
      url: `${base}/repos/${this.org.login}/${repo.name}/commits/${commitSha}/status`,
    };
  }
}

export function sha(seed: string): string {
  return createHash('sha1').update(seed).digest('hex');
}

/** Sends a `pull_request` delivery the way GitHub does: JSON body, HMAC-SHA256 signature. */
export async function deliverWebhook(
  target: { url: string; secret: string },
  event: string,
  payload: Record<string, unknown>,
): Promise<{ status: number; deliveryId: string }> {
  const body = JSON.stringify(payload);
  const deliveryId = randomUUID();
  const signature = `sha256=${createHmac('sha256', target.secret).update(body).digest('hex')}`;
  const response = await fetch(target.url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'user-agent': 'GitHub-Hookshot/simulator',
      'x-github-event': event,
      'x-github-delivery': deliveryId,
      'x-github-hook-id': '1',
      'x-hub-signature-256': signature,
    },
    body,
  });
  await response.arrayBuffer();
  return { status: response.status, deliveryId };
}
