import { z } from 'zod';
import {
  ScanJobKinds,
  ScanStatuses,
  type FindingChangedData,
  type InvalidateCacheResult,
  type RepoRemovedData,
  type ReposUpdatedData,
  type ScanCacheInvalidatedData,
  type ScanCompletedData,
  type ScanFailedData,
  type ScanJob,
  type ScanOrgResult,
  type ScanPermissionsResult,
  type ScanProgressData,
  type ScanQueuedData,
  type ScanStartedData,
} from '../scanner.js';
import { isoTime } from './common.schemas.js';
import { describes } from './proof.js';

const permission = z.enum(['admin', 'maintain', 'write', 'triage', 'read']);
const repo = z.object({
  githubId: z.number().int(),
  fullName: z.string(),
  private: z.boolean(),
  visibility: z.enum(['public', 'private', 'internal']),
  archived: z.boolean(),
  fork: z.boolean(),
  defaultBranch: z.string().nullable(),
  protection: z
    .object({
      requiredReviews: z.number().int(),
      requiresStatusChecks: z.boolean(),
      enforceAdmins: z.boolean(),
      dismissStaleReviews: z.boolean().optional(),
      requireCodeOwnerReviews: z.boolean().optional(),
      blocksForcePushes: z.boolean().optional(),
      blocksDeletions: z.boolean().optional(),
      requiresSignatures: z.boolean().optional(),
      sources: z
        .array(
          z.object({
            kind: z.enum(['classic', 'repository_ruleset', 'organization_ruleset']),
            id: z.number().int().nullable(),
            name: z.string(),
          }),
        )
        .optional(),
      bypassActors: z
        .array(
          z.object({
            rulesetId: z.number().int(),
            actorType: z.string(),
            actorId: z.number().int().nullable(),
            bypassMode: z.string(),
          }),
        )
        .optional(),
    })
    .nullable()
    .optional(),
  secretScanning: z.enum(['enabled', 'disabled', 'unknown']),
  security: z
    .object({
      pushProtection: z.enum(['enabled', 'disabled', 'unknown']),
      vulnerabilityAlerts: z.boolean().nullable(),
      securityPolicy: z.boolean().nullable(),
    })
    .nullable()
    .optional(),
  collaborators: z
    .array(z.object({ login: z.string(), permission, outside: z.boolean() }))
    .nullable(),
  teams: z.array(z.object({ slug: z.string(), permission })).nullable(),
  scanState: z.enum(['discovered', 'scanned', 'failed']),
});
const finding = z.object({
  repo: z.string(),
  check: z.string(),
  expected: z.unknown(),
  actual: z.unknown(),
  severity: z.enum(['low', 'medium', 'high', 'critical']),
  githubId: z.number().int(),
  state: z.enum(['open', 'resolved']),
  firstSeenAt: isoTime,
  lastSeenAt: isoTime,
  resolvedAt: isoTime.nullable(),
});
const skippedCheck = z.object({
  check: z.string(),
  permission: z.string(),
  required: z.enum(['read', 'write']),
  granted: z.string().nullable(),
});
const findingChanged = describes<FindingChangedData>()(
  finding.extend({ scanId: z.string().optional(), cause: z.enum(['scan', 'webhook']) }),
);

export const scannerResultSchemas = {
  scanOrg: describes<ScanOrgResult>()(
    z.object({
      scanId: z.string(),
      status: z.enum(ScanStatuses),
      startedAt: isoTime,
      alreadyRunning: z.boolean(),
    }),
  ),
  invalidateCache: describes<InvalidateCacheResult>()(
    z.object({ cachedResponsesCleared: z.number().int(), clearedAt: isoTime }),
  ),
  permissions: describes<ScanPermissionsResult>()(
    z.object({
      installationId: z.string(),
      sufficient: z.boolean(),
      required: z.record(z.string(), z.enum(['read', 'write'])),
      granted: z.record(z.string(), z.string()),
      missing: z.array(
        z.object({
          permission: z.string(),
          required: z.enum(['read', 'write']),
          granted: z.string().nullable(),
        }),
      ),
      skippedChecks: z.array(skippedCheck),
    }),
  ),
};

export const scanJobSchema = describes<ScanJob>()(
  z.object({
    kind: z.enum(ScanJobKinds),
    workspaceId: z.string(),
    scanId: z.string().optional(),
    repoFullName: z.string().optional(),
    integrationId: z.string().optional(),
  }),
);

export const scannerEventSchemas = {
  ScanQueued: describes<ScanQueuedData>()(z.object({ scanId: z.string(), startedAt: isoTime })),
  ScanStarted: describes<ScanStartedData>()(
    z.object({ scanId: z.string(), startedAt: isoTime, reposTotal: z.number().int() }),
  ),
  ScanProgress: describes<ScanProgressData>()(
    z.object({
      scanId: z.string(),
      status: z.enum(['scanning', 'rate_limited']),
      reposScanned: z.number().int(),
      reposTotal: z.number().int(),
      reposFailed: z.number().int(),
      startedAt: isoTime,
      rateLimitResetAt: isoTime.nullable(),
    }),
  ),
  ScanCompleted: describes<ScanCompletedData>()(
    z.object({
      scanId: z.string(),
      startedAt: isoTime,
      completedAt: isoTime,
      reposScanned: z.number().int(),
      reposTotal: z.number().int(),
      reposFailed: z.number().int(),
      failedRepos: z.array(z.string()),
      findings: z.number().int(),
      skippedChecks: z.array(skippedCheck).optional(),
    }),
  ),
  ScanFailed: describes<ScanFailedData>()(
    z.object({
      scanId: z.string(),
      startedAt: isoTime,
      failedAt: isoTime,
      reason: z.string(),
      reposScanned: z.number().int(),
      reposTotal: z.number().int(),
    }),
  ),
  ReposUpdated: describes<ReposUpdatedData>()(
    z.object({
      scanId: z.string().optional(),
      repos: z.array(repo.extend({ findings: z.array(finding).nullable() })),
    }),
  ),
  RepoRemoved: describes<RepoRemovedData>()(
    z.object({ githubId: z.number().int(), fullName: z.string() }),
  ),
  ScanCacheInvalidated: describes<ScanCacheInvalidatedData>()(z.object({ clearedAt: isoTime })),
  FindingOpened: findingChanged,
  FindingResolved: findingChanged,
};
