import type { Finding, RepoRecord, ScanCheckKey, Severity } from '#libs/contracts/src/index.js';
import { Checks, type Baseline } from './baseline.js';
import type { OrgFacts } from './org-facts.js';

/** The findings of one subject and the checks that were judged (the others say nothing). */
export interface Evaluation {
  findings: Finding[];
  evaluated: string[];
}

type Runnable = ReadonlySet<ScanCheckKey>;

class Judge {
  readonly findings: Finding[] = [];
  readonly evaluated: string[] = [];

  constructor(
    private readonly subject: string,
    private readonly baseline: Baseline,
    private readonly runnable: Runnable,
  ) {}

  result(): Evaluation {
    return { findings: this.findings, evaluated: this.evaluated };
  }

  /**
   * Judges one check when the baseline enables it, the permissions let it run and its input was
   * read (`input` not undefined); `failure` returns expected/actual when it fails.
   */
  check<T>(
    key: ScanCheckKey,
    input: T | undefined,
    failure: (input: T) => { expected: unknown; actual: unknown } | null,
  ): void {
    if (!this.baseline[key].enabled || !this.runnable.has(key) || input === undefined) return;
    this.evaluated.push(Checks[key]);
    const failed = failure(input);
    if (failed) {
      this.findings.push({
        repo: this.subject,
        check: Checks[key],
        ...failed,
        severity: this.baseline[key].severity as Severity,
      });
    }
  }
}

const fails = (expected: unknown, actual: unknown) => ({ expected, actual });

/**
 * Drift of one repository from the baseline: pure, no I/O. A check whose input the scan could not
 * read, or whose permission the installation lacks, is not judged: it yields no finding and does
 * not resolve an open one.
 */
export function evaluateDrift(
  repo: RepoRecord,
  baseline: Baseline,
  runnable: Runnable = new Set(Object.keys(Checks) as ScanCheckKey[]),
): Evaluation {
  const judge = new Judge(repo.fullName, baseline, runnable);
  if (baseline.skipArchived && repo.archived) return judge.result();

  const protection = repo.defaultBranch === null ? undefined : repo.protection;
  judge.check('defaultBranchProtected', protection, (p) => (p ? null : fails(true, false)));
  // The other protection checks judge a protected branch; an unprotected one has one finding.
  const rules = protection ?? undefined;
  const { requiredReviews } = baseline;
  judge.check('requiredReviews', rules, (p) =>
    p.requiredReviews < requiredReviews.minimum
      ? fails(`>= ${requiredReviews.minimum}`, p.requiredReviews)
      : null,
  );
  const flag = (value: boolean | undefined) => (value ? null : fails(true, false));
  judge.check('staleReviewsDismissed', rules, (p) => flag(p.dismissStaleReviews));
  judge.check('codeOwnerReview', rules, (p) => flag(p.requireCodeOwnerReviews));
  judge.check('adminsEnforced', rules, (p) => flag(p.enforceAdmins));
  judge.check('forcePushBlocked', rules, (p) => flag(p.blocksForcePushes));
  judge.check('deletionBlocked', rules, (p) => flag(p.blocksDeletions));
  judge.check('statusChecksRequired', rules, (p) => flag(p.requiresStatusChecks));
  judge.check('signedCommits', rules, (p) => flag(p.requiresSignatures));

  const known = <T extends string>(status: T | 'unknown' | undefined) =>
    status === 'unknown' ? undefined : status;
  judge.check(
    'secretScanningOnPrivate',
    repo.private ? known(repo.secretScanning) : undefined,
    (status) => (status === 'enabled' ? null : fails('enabled', status)),
  );
  judge.check('pushProtection', known(repo.security?.pushProtection), (status) =>
    status === 'enabled' ? null : fails('enabled', status),
  );
  judge.check('vulnerabilityAlerts', repo.security?.vulnerabilityAlerts ?? undefined, (on) =>
    on ? null : fails(true, false),
  );
  judge.check('securityPolicy', repo.security?.securityPolicy ?? undefined, (present) =>
    present ? null : fails(true, false),
  );

  const outside = repo.collaborators?.filter((c) => c.outside) ?? undefined;
  const logins = (permissions: string[]) =>
    outside!
      .filter((c) => permissions.includes(c.permission))
      .map((c) => c.login)
      .sort();
  judge.check('noOutsideAdmins', outside, () => {
    const admins = logins(['admin']);
    return admins.length > 0 ? fails([], admins) : null;
  });
  judge.check('noOutsideWriters', outside, () => {
    const writers = logins(['write', 'maintain']);
    return writers.length > 0 ? fails([], writers) : null;
  });
  return judge.result();
}

/** Drift of the organization's own settings; `repo` of its findings is the organization login. */
export function evaluateOrg(
  org: OrgFacts,
  baseline: Baseline,
  runnable: Runnable = new Set(Object.keys(Checks) as ScanCheckKey[]),
): Evaluation {
  const judge = new Judge(org.login, baseline, runnable);
  const settings = org.settings;
  judge.check('twoFactorRequired', settings?.twoFactorRequired ?? undefined, (on) =>
    on ? null : fails(true, false),
  );
  const rank = ['none', 'read', 'write', 'admin'];
  const maximum = baseline.defaultRepositoryPermission.maximum;
  judge.check(
    'defaultRepositoryPermission',
    settings?.defaultRepositoryPermission ?? undefined,
    (p) => (rank.indexOf(p) > rank.indexOf(maximum) ? fails(maximum, p) : null),
  );
  judge.check(
    'publicRepositoryCreation',
    settings?.membersCanCreatePublicRepositories ?? undefined,
    (allowed) => (allowed ? fails(false, true) : null),
  );
  const { minimum, maximum: most } = baseline.ownerCount;
  judge.check('ownerCount', org.owners, (owners) =>
    owners.length < minimum || owners.length > most
      ? fails(`${minimum}..${most}`, owners.length)
      : null,
  );
  judge.check('actionsTokenPermissions', org.workflow, (w) =>
    w.defaultWorkflowPermissions !== 'read' || w.canApprovePullRequestReviews
      ? fails(
          { default_workflow_permissions: 'read', can_approve_pull_request_reviews: false },
          {
            default_workflow_permissions: w.defaultWorkflowPermissions,
            can_approve_pull_request_reviews: w.canApprovePullRequestReviews,
          },
        )
      : null,
  );
  judge.check('actionsAllowed', org.actions, (a) =>
    a.enabledRepositories !== 'none' && (a.allowedActions ?? 'all') === 'all'
      ? fails(['local_only', 'selected'], a.allowedActions ?? 'all')
      : null,
  );
  const hookUrls = (pick: (h: NonNullable<OrgFacts['hooks']>[number]) => boolean) =>
    org
      .hooks!.filter(pick)
      .map((h) => h.url)
      .sort();
  judge.check('webhookSecret', org.hooks, () => {
    const without = hookUrls((h) => !h.hasSecret);
    return without.length > 0 ? fails([], without) : null;
  });
  judge.check('webhookSsl', org.hooks, () => {
    const insecure = hookUrls((h) => h.insecureSsl);
    return insecure.length > 0 ? fails([], insecure) : null;
  });
  const breadth = baseline.teamAdminBreadth.maximum;
  judge.check('teamAdminBreadth', org.teamAdminRepos, (teams) => {
    const broad = Object.entries(teams)
      .filter(([, count]) => count > breadth)
      .map(([team, repositories]) => ({ team, repositories }))
      .sort((a, b) => a.team.localeCompare(b.team));
    return broad.length > 0 ? fails(`<= ${breadth} repositories`, broad) : null;
  });
  return judge.result();
}
