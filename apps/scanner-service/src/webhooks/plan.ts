import type { GithubWebhookDelivery, RepoFacts } from '#libs/contracts/src/index.js';
import { Unretryable } from '#libs/messaging/src/failures.js';

/** When GitHub says this state was current: `repository.updated_at`, else when it was received. */
export interface Version {
  at: string;
}

export type RepoChange =
  /** Stored at once, then the repository is rescanned on its own so its findings follow. */
  | { kind: 'upsert'; repo: RepoFacts; version: Version }
  | { kind: 'rename'; repo: RepoFacts; version: Version }
  | { kind: 'remove'; githubId: number; fullName: string; version: Version; deleted: boolean };

/**
 * What one GitHub delivery asks of the scanner. Pure: `planDelivery` reads the payload and says
 * what to do; the processor does it. Names follow GitHub's event and action names.
 */
export type Plan =
  | { kind: 'disconnect'; reason: 'github_app_uninstalled' | 'github_app_suspended' }
  | { kind: 'repos'; changes: RepoChange[] }
  | { kind: 'rescan-repo'; fullName: string }
  | { kind: 'recompute-permissions' }
  | { kind: 'ignore'; reason: string };

/** A payload that cannot be read will not read better later: its delivery is parked at once. */
export class UnreadablePayload extends Unretryable {
  override name = 'UnreadablePayload';
}

type Json = Record<string, unknown>;

function object(value: unknown, what: string): Json {
  if (typeof value !== 'object' || value === null) throw new UnreadablePayload(`${what} missing`);
  return value as Json;
}

function timestamp(value: unknown): string | null {
  if (typeof value === 'string' && !Number.isNaN(Date.parse(value))) {
    return new Date(value).toISOString();
  }
  // Some payloads (push) give seconds since the epoch.
  if (typeof value === 'number' && Number.isFinite(value))
    return new Date(value * 1000).toISOString();
  return null;
}

export function repoFacts(value: unknown): RepoFacts {
  const repo = object(value, 'repository');
  if (typeof repo.id !== 'number' || typeof repo.full_name !== 'string') {
    throw new UnreadablePayload('repository without id or full_name');
  }
  const isPrivate = repo.private === true;
  // `private` is what a privatized/publicized delivery changes; GitHub's own examples show
  // `visibility` lagging behind it, so it only tells an internal repository apart.
  const visibility = repo.visibility === 'internal' ? 'internal' : isPrivate ? 'private' : 'public';
  return {
    githubId: repo.id,
    fullName: repo.full_name,
    private: isPrivate,
    visibility,
    archived: repo.archived === true,
    fork: repo.fork === true,
    defaultBranch: typeof repo.default_branch === 'string' ? repo.default_branch : null,
  };
}

const REPOSITORY_UPSERTS = new Set([
  'created',
  'edited',
  'archived',
  'unarchived',
  'publicized',
  'privatized',
  'transferred',
]);

export function planDelivery(delivery: GithubWebhookDelivery): Plan {
  const { event, action, payload } = delivery;
  const received: Version = { at: delivery.receivedAt };
  switch (event) {
    case 'installation':
      if (action === 'deleted') return { kind: 'disconnect', reason: 'github_app_uninstalled' };
      if (action === 'suspend') return { kind: 'disconnect', reason: 'github_app_suspended' };
      // `unsuspend` re-enables nothing, as a manual reconnect re-enables no rule.
      return { kind: 'ignore', reason: `installation ${action}` };

    case 'installation_repositories': {
      const added = Array.isArray(payload.repositories_added) ? payload.repositories_added : [];
      const removed = Array.isArray(payload.repositories_removed)
        ? payload.repositories_removed
        : [];
      const changes: RepoChange[] = [
        // The list gives only id, name and privacy: the rescan reads the rest.
        ...added.map((r): RepoChange => ({
          kind: 'upsert',
          repo: repoFacts(r),
          version: received,
        })),
        ...removed.map((r): RepoChange => {
          const facts = repoFacts(r);
          return {
            kind: 'remove',
            githubId: facts.githubId,
            fullName: facts.fullName,
            version: received,
            deleted: false,
          };
        }),
      ];
      return { kind: 'repos', changes };
    }

    case 'repository': {
      const repo = repoFacts(payload.repository);
      const version: Version = {
        at: timestamp(object(payload.repository, 'repository').updated_at) ?? received.at,
      };
      if (action === 'deleted') {
        return {
          kind: 'repos',
          changes: [
            {
              kind: 'remove',
              githubId: repo.githubId,
              fullName: repo.fullName,
              version,
              deleted: true,
            },
          ],
        };
      }
      if (action === 'renamed')
        return { kind: 'repos', changes: [{ kind: 'rename', repo, version }] };
      if (action && REPOSITORY_UPSERTS.has(action)) {
        return {
          kind: 'repos',
          changes: [{ kind: 'upsert', repo, version }],
        };
      }
      return { kind: 'ignore', reason: `repository ${action}` };
    }

    case 'branch_protection_rule':
    case 'repository_ruleset':
    case 'member':
    case 'team_add': {
      // Rules and collaborators of one repository; an org-wide ruleset has no repository.
      const repository = payload.repository as Json | undefined;
      if (repository && typeof repository.full_name === 'string') {
        return { kind: 'rescan-repo', fullName: repository.full_name };
      }
      return { kind: 'recompute-permissions' };
    }

    case 'team': {
      const repository = payload.repository as Json | undefined;
      if (
        (action === 'added_to_repository' || action === 'removed_from_repository') &&
        repository &&
        typeof repository.full_name === 'string'
      ) {
        return { kind: 'rescan-repo', fullName: repository.full_name };
      }
      return { kind: 'recompute-permissions' };
    }

    case 'membership':
      return { kind: 'recompute-permissions' };

    case 'organization':
      if (action === 'member_added' || action === 'member_removed') {
        return { kind: 'recompute-permissions' };
      }
      return { kind: 'ignore', reason: `organization ${action}` };

    default:
      return { kind: 'ignore', reason: `event ${event} is not used` };
  }
}

/**
 * What a delivery must wait for, in this replica: the previous delivery about the same
 * repository (or of the same kind, when it names none). Null for deliveries that change nothing,
 * which need no order.
 */
export function orderingKey(delivery: GithubWebhookDelivery): string | null {
  let plan: Plan;
  try {
    plan = planDelivery(delivery);
  } catch {
    return null;
  }
  if (plan.kind === 'ignore') return null;
  const repository = delivery.payload.repository as Json | undefined;
  return typeof repository?.id === 'number' ? `repo:${repository.id}` : `event:${delivery.event}`;
}
