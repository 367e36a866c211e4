import { z } from 'zod';
import type { Severity } from '#libs/contracts/src/index.js';

/**
 * The policy repositories are compared with. Every check can be switched off and given its own
 * severity; the defaults are what most organizations want. Set `SCAN_BASELINE` (JSON, any subset
 * of this shape) to change it; it is validated at start.
 */
const severity = z.enum(['low', 'medium', 'high', 'critical']);

export const baselineSchema = z.object({
  /** Archived repositories are read-only: reporting drift on them is noise. */
  skipArchived: z.boolean().default(true),
  defaultBranchProtected: z
    .object({ enabled: z.boolean().default(true), severity: severity.default('high') })
    .default({ enabled: true, severity: 'high' }),
  requiredReviews: z
    .object({
      enabled: z.boolean().default(true),
      minimum: z.number().int().min(1).max(6).default(1),
      severity: severity.default('medium'),
    })
    .default({ enabled: true, minimum: 1, severity: 'medium' }),
  noOutsideAdmins: z
    .object({ enabled: z.boolean().default(true), severity: severity.default('high') })
    .default({ enabled: true, severity: 'high' }),
  secretScanningOnPrivate: z
    .object({ enabled: z.boolean().default(true), severity: severity.default('medium') })
    .default({ enabled: true, severity: 'medium' }),
  adminsEnforced: z
    .object({ enabled: z.boolean().default(false), severity: severity.default('low') })
    .default({ enabled: false, severity: 'low' }),
});

export type Baseline = z.infer<typeof baselineSchema>;

export const defaultBaseline: Baseline = baselineSchema.parse({});

export const Checks = {
  defaultBranchProtected: 'default_branch_protected',
  requiredReviews: 'required_reviews',
  noOutsideAdmins: 'outside_admin',
  secretScanningOnPrivate: 'secret_scanning',
  adminsEnforced: 'admins_enforced',
} as const;

export type CheckName = (typeof Checks)[keyof typeof Checks];
export type { Severity };

/** `SCAN_BASELINE` as JSON text -> a baseline; throws naming the bad field. */
export function parseBaseline(raw: string | undefined): Baseline {
  if (!raw) return defaultBaseline;
  return baselineSchema.parse(JSON.parse(raw));
}
