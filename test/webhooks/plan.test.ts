import { describe, expect, test } from '@jest/globals';
import type { GithubWebhookDelivery } from '#libs/contracts/src/index.js';
import { realPayload } from './support/deliveries.js';
import {
  orderingKey,
  planDelivery,
  UnreadablePayload,
} from '../../apps/scanner-service/src/webhooks/plan.js';

const delivery = (
  event: string,
  action?: string,
  edit?: (p: any) => void,
): GithubWebhookDelivery => {
  const payload = realPayload(event, action);
  edit?.(payload);
  return {
    deliveryId: 'd-1',
    event,
    action: payload.action ?? null,
    installationId: 1,
    integrationId: 'i-1',
    hookId: null,
    receivedAt: '2026-11-23T10:00:00.000Z',
    payload,
  };
};

describe('planDelivery (real GitHub payloads, no I/O)', () => {
  test('installation deleted and suspend disconnect; unsuspend and created change nothing', () => {
    expect(planDelivery(delivery('installation', 'deleted'))).toEqual({
      kind: 'disconnect',
      reason: 'github_app_uninstalled',
    });
    expect(planDelivery(delivery('installation', 'suspend'))).toEqual({
      kind: 'disconnect',
      reason: 'github_app_suspended',
    });
    expect(planDelivery(delivery('installation', 'unsuspend')).kind).toBe('ignore');
    expect(planDelivery(delivery('installation', 'created')).kind).toBe('ignore');
  });

  test('repository changes carry the facts and the version GitHub gave (updated_at)', () => {
    const d = delivery('repository', 'privatized');
    const repo = d.payload.repository as any;
    expect(planDelivery(d)).toEqual({
      kind: 'repos',
      changes: [
        {
          kind: 'upsert',
          repo: {
            githubId: repo.id,
            fullName: repo.full_name,
            private: repo.private,
            visibility: repo.private ? 'private' : 'public',
            archived: repo.archived,
            fork: repo.fork,
            defaultBranch: repo.default_branch,
          },
          version: { at: new Date(repo.updated_at).toISOString() },
        },
      ],
    });
    const deleted = planDelivery(delivery('repository', 'deleted'));
    expect(deleted).toMatchObject({ kind: 'repos', changes: [{ kind: 'remove', deleted: true }] });
    expect(planDelivery(delivery('repository', 'renamed'))).toMatchObject({
      changes: [{ kind: 'rename' }],
    });
    for (const action of [
      'created',
      'edited',
      'archived',
      'unarchived',
      'publicized',
      'transferred',
    ]) {
      expect(planDelivery(delivery('repository', action))).toMatchObject({
        changes: [{ kind: 'upsert' }],
      });
    }
  });

  test('installation_repositories: one upsert per added, one removal per removed (not a deletion)', () => {
    const added = delivery('installation_repositories', 'added');
    const plan = planDelivery(added);
    expect(plan.kind).toBe('repos');
    const changes = (plan as Extract<typeof plan, { kind: 'repos' }>).changes;
    expect(changes.map((c) => c.kind)).toEqual(
      (added.payload.repositories_added as unknown[]).map(() => 'upsert'),
    );
    expect(changes[0]!.version).toEqual({ at: added.receivedAt });
    const removed = planDelivery(delivery('installation_repositories', 'removed'));
    expect(removed).toMatchObject({ changes: [{ kind: 'remove', deleted: false }] });
  });

  test('rules, collaborators and teams of one repository rescan it; org-wide changes recompute', () => {
    for (const [event, action] of [
      ['branch_protection_rule', 'created'],
      ['repository_ruleset', 'created'],
      ['member', 'added'],
      ['team', 'added_to_repository'],
      ['team_add', undefined],
    ] as const) {
      const d = delivery(event, action);
      expect(planDelivery(d)).toEqual({
        kind: 'rescan-repo',
        fullName: (d.payload.repository as any).full_name,
      });
    }
    expect(planDelivery(delivery('membership', 'removed'))).toEqual({
      kind: 'recompute-permissions',
    });
    expect(planDelivery(delivery('organization', 'member_added'))).toEqual({
      kind: 'recompute-permissions',
    });
    expect(planDelivery(delivery('team', 'created'))).toEqual({ kind: 'recompute-permissions' });
    expect(planDelivery(delivery('organization', 'renamed')).kind).toBe('ignore');
  });

  test('every other event is ignored and needs no ordering', () => {
    for (const event of ['push', 'star', 'ping', 'issues']) {
      const d = delivery(event);
      expect(planDelivery(d).kind).toBe('ignore');
      expect(orderingKey(d)).toBeNull();
    }
    const repo = delivery('repository', 'edited');
    expect(orderingKey(repo)).toBe(`repo:${(repo.payload.repository as any).id}`);
  });

  test('a repository event without a readable repository is unreadable', () => {
    expect(() =>
      planDelivery(delivery('repository', 'created', (p) => delete p.repository)),
    ).toThrow(UnreadablePayload);
  });
});
