import { describe, expect, test } from '@jest/globals';
import {
  effectiveProtection,
  type ClassicProtection,
} from '../src/protection/effective-protection.js';
import { fnmatch, rulesetTargetsDefaultBranch, type Ruleset } from '../src/protection/rulesets.js';

const classic: ClassicProtection = {
  requiredReviews: 1,
  requiresStatusChecks: false,
  enforceAdmins: false,
  dismissStaleReviews: false,
  requireCodeOwnerReviews: false,
  allowsForcePushes: true,
  allowsDeletions: true,
  requiresSignatures: false,
};

const ruleset = (over: Partial<Ruleset> = {}): Ruleset => ({
  id: 7,
  name: 'main',
  source: 'repository',
  target: 'branch',
  enforcement: 'active',
  refName: { include: ['~DEFAULT_BRANCH'], exclude: [] },
  rules: [
    { type: 'pull_request', parameters: { required_approving_review_count: 2 } },
    { type: 'non_fast_forward' },
  ],
  bypassActors: [],
  ...over,
});

const api = { name: 'payments-api', githubId: 11, defaultBranch: 'main' };

describe('which rulesets bind the default branch', () => {
  test('given active, evaluate and disabled rulesets, then only the active one binds it', () => {
    expect(rulesetTargetsDefaultBranch(ruleset(), api)).toBe(true);
    expect(rulesetTargetsDefaultBranch(ruleset({ enforcement: 'evaluate' }), api)).toBe(false);
    expect(rulesetTargetsDefaultBranch(ruleset({ enforcement: 'disabled' }), api)).toBe(false);
    expect(rulesetTargetsDefaultBranch(ruleset({ target: 'tag' }), api)).toBe(false);
  });

  test('given ref patterns, then ~DEFAULT_BRANCH, ~ALL and fnmatch patterns, with excludes', () => {
    const refs = (include: string[], exclude: string[] = []) =>
      rulesetTargetsDefaultBranch(ruleset({ refName: { include, exclude } }), api);
    expect(refs(['~ALL'])).toBe(true);
    expect(refs(['refs/heads/main'])).toBe(true);
    expect(refs(['refs/heads/ma*'])).toBe(true);
    expect(refs(['refs/heads/release/*'])).toBe(false);
    expect(refs(['~ALL'], ['refs/heads/main'])).toBe(false);
    expect(fnmatch('refs/heads/*', 'refs/heads/a/b')).toBe(false);
    expect(fnmatch('refs/heads/**', 'refs/heads/a/b')).toBe(true);
  });

  test('given an organization ruleset, then its repository names decide', () => {
    const org = (include: string[], exclude: string[] = []) =>
      ruleset({ source: 'organization', repositoryName: { include, exclude } });
    expect(rulesetTargetsDefaultBranch(org(['payments-*']), api)).toBe(true);
    expect(rulesetTargetsDefaultBranch(org(['~ALL'], ['payments-*']), api)).toBe(false);
    expect(rulesetTargetsDefaultBranch(org(['billing-*']), api)).toBe(false);
    expect(
      rulesetTargetsDefaultBranch(ruleset({ source: 'organization', repositoryIds: [11] }), api),
    ).toBe(true);
    // A repository-property condition cannot be evaluated here: the ruleset is not counted.
    expect(
      rulesetTargetsDefaultBranch(
        ruleset({ source: 'organization', repositoryProperty: true, repositoryName: null }),
        api,
      ),
    ).toBe(false);
  });
});

describe('effective protection', () => {
  test('given nothing, then unprotected', () => {
    expect(effectiveProtection(null, [])).toBeNull();
  });

  test('given a ruleset alone, then protected by it, with its rules and bypass actors', () => {
    const only = effectiveProtection(null, [
      ruleset({
        bypassActors: [{ actorType: 'RepositoryRole', actorId: 5, bypassMode: 'always' }],
      }),
    ]);
    expect(only).toMatchObject({
      requiredReviews: 2,
      blocksForcePushes: true,
      blocksDeletions: false,
      enforceAdmins: false,
      sources: [{ kind: 'repository_ruleset', id: 7, name: 'main' }],
      bypassActors: [
        { rulesetId: 7, actorType: 'RepositoryRole', actorId: 5, bypassMode: 'always' },
      ],
    });
  });

  test('given classic protection and rulesets, then each rule is the strictest of all', () => {
    const combined = effectiveProtection(classic, [
      ruleset(),
      ruleset({
        id: 8,
        source: 'organization',
        name: 'org',
        rules: [
          {
            type: 'pull_request',
            parameters: { required_approving_review_count: 3, dismiss_stale_reviews_on_push: true },
          },
          { type: 'deletion' },
        ],
      }),
    ]);
    expect(combined).toMatchObject({
      requiredReviews: 3,
      dismissStaleReviews: true,
      blocksForcePushes: true,
      blocksDeletions: true,
      // A ruleset nobody may bypass binds administrators too.
      enforceAdmins: true,
      sources: [
        { kind: 'classic', id: null },
        { kind: 'repository_ruleset', id: 7 },
        { kind: 'organization_ruleset', id: 8 },
      ],
    });
  });

  test('given a ruleset without rules, then it protects nothing', () => {
    expect(effectiveProtection(null, [ruleset({ rules: [] })])).toBeNull();
  });
});
