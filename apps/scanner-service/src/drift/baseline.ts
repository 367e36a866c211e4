import { z } from 'zod';
import { SCAN_CHECKS, type ScanCheckKey, type Severity } from '#libs/contracts/src/index.js';

/**
 * The policy repositories and the organization are compared with. Every check of
 * `SCAN_CHECKS` (libs/contracts/src/scanner-checks.ts) can be switched off and given its own
 * severity; a few take a threshold. Set `SCAN_BASELINE` (JSON, any subset of this shape) to
 * change it; it is validated at start.
 */
const severity = z.enum(['low', 'medium', 'high', 'critical']);

function check<TExtra extends z.ZodRawShape>(key: ScanCheckKey, extra?: TExtra) {
  const { enabled, severity: defaultSeverity } = SCAN_CHECKS[key];
  const shape = {
    enabled: z.boolean().default(enabled),
    severity: severity.default(defaultSeverity),
    ...(extra ?? ({} as TExtra)),
  };
  const schema = z.object(shape);
  return schema.default(schema.parse({}) as never);
}

export const baselineSchema = z
  .object({
    /** Archived repositories are read-only: reporting drift on them is noise. */
    skipArchived: z.boolean().default(true),
    defaultBranchProtected: check('defaultBranchProtected'),
    requiredReviews: check('requiredReviews', {
      minimum: z.number().int().min(1).max(6).default(1),
    }),
    staleReviewsDismissed: check('staleReviewsDismissed'),
    codeOwnerReview: check('codeOwnerReview'),
    adminsEnforced: check('adminsEnforced'),
    forcePushBlocked: check('forcePushBlocked'),
    deletionBlocked: check('deletionBlocked'),
    statusChecksRequired: check('statusChecksRequired'),
    signedCommits: check('signedCommits'),
    secretScanningOnPrivate: check('secretScanningOnPrivate'),
    pushProtection: check('pushProtection'),
    vulnerabilityAlerts: check('vulnerabilityAlerts'),
    securityPolicy: check('securityPolicy'),
    noOutsideAdmins: check('noOutsideAdmins'),
    noOutsideWriters: check('noOutsideWriters'),
    twoFactorRequired: check('twoFactorRequired'),
    defaultRepositoryPermission: check('defaultRepositoryPermission', {
      /** The most a member may get by default on every repository. */
      maximum: z.enum(['none', 'read', 'write', 'admin']).default('read'),
    }),
    publicRepositoryCreation: check('publicRepositoryCreation'),
    ownerCount: check('ownerCount', {
      minimum: z.number().int().min(1).max(100).default(2),
      maximum: z.number().int().min(1).max(1000).default(5),
    }),
    actionsTokenPermissions: check('actionsTokenPermissions'),
    actionsAllowed: check('actionsAllowed'),
    webhookSecret: check('webhookSecret'),
    webhookSsl: check('webhookSsl'),
    teamAdminBreadth: check('teamAdminBreadth', {
      /** Repositories a team may administer before it counts as too broad. */
      maximum: z.number().int().min(1).default(10),
    }),
  })
  .strict();

export type Baseline = z.infer<typeof baselineSchema>;

export const defaultBaseline: Baseline = baselineSchema.parse({});

/** The finding names of the checks (`default_branch_protected`, ...), by baseline key. */
export const Checks = Object.fromEntries(
  Object.entries(SCAN_CHECKS).map(([key, definition]) => [key, definition.id]),
) as { [K in ScanCheckKey]: (typeof SCAN_CHECKS)[K]['id'] };

export type CheckName = (typeof Checks)[ScanCheckKey];
export type { Severity };

/** The checks the baseline switches on. */
export function enabledChecks(baseline: Baseline): ScanCheckKey[] {
  return (Object.keys(SCAN_CHECKS) as ScanCheckKey[]).filter((key) => baseline[key].enabled);
}

/** `SCAN_BASELINE` as JSON text -> a baseline; throws naming the bad field. */
/** Injection token of the baseline the service runs with (SCAN_BASELINE, parsed once). */
export const DRIFT_BASELINE = Symbol('DRIFT_BASELINE');

export function parseBaseline(raw: string | undefined): Baseline {
  if (!raw) return defaultBaseline;
  return baselineSchema.parse(JSON.parse(raw));
}
