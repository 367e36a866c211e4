/**
 * The scanner's vocabulary on the bus.
 *
 * Request/reply (Nest `@MessagePattern`, `Envelope<subject, data>` answered with `Reply<result>`):
 * - `scanner.cmd.scan-org` (`ScanOrgCommand` -> `ScanOrgResult`): starts a full scan of the
 *   workspace's GitHub installation, or answers with the scan already running (one per workspace).
 * - `scanner.cmd.invalidate-cache` (-> `InvalidateCacheResult`): forgets cached GitHub answers so
 *   the next scan reads everything afresh.
 * - `scanner.q.permissions` (-> `ScanPermissionsResult`).
 *
 * Work queue (JetStream `SCANNER_JOBS`, shared by scanner replicas): `ScanJob` messages.
 *
 * Events (JetStream `SCANNER_EVENTS`, subject `scanner.evt.<kebab type>`), projected by the
 * gateway: the scan's lifecycle and the inventory/findings it produced.
 */

export const ScanStatuses = ['queued', 'scanning', 'rate_limited', 'completed', 'failed'] as const;
export type ScanStatus = (typeof ScanStatuses)[number];
export const ActiveScanStatuses: readonly ScanStatus[] = ['queued', 'scanning', 'rate_limited'];

export type Severity = 'low' | 'medium' | 'high' | 'critical';
export type RepoPermission = 'admin' | 'maintain' | 'write' | 'triage' | 'read';

// ---- Commands and queries ----

export type ScanOrgCommand = Record<string, never>;

export interface ScanOrgResult {
  scanId: string;
  status: ScanStatus;
  startedAt: string;
  /** True when a scan was already running and this call joined it. */
  alreadyRunning: boolean;
}

export interface InvalidateCacheResult {
  /** Cached GitHub answers (ETag + body) dropped. */
  cachedResponsesCleared: number;
  clearedAt: string;
}

export interface ScanPermissionsResult {
  installationId: string;
  sufficient: boolean;
  /** The permissions the scan needs, and what the installation grants. */
  required: Record<string, 'read' | 'write'>;
  granted: Record<string, string>;
  missing: Array<{ permission: string; required: 'read' | 'write'; granted: string | null }>;
  /** Checks of the baseline that cannot run with the permissions granted now. */
  skippedChecks: SkippedCheck[];
}

/** A check the scan did not run (it is neither passed nor failed), and why. */
export interface SkippedCheck {
  check: string;
  permission: string;
  required: 'read' | 'write';
  granted: string | null;
}

// ---- Work queue ----

export const ScanJobKinds = ['scan', 'discover', 'rescan-repo'] as const;
export interface ScanJob {
  kind: (typeof ScanJobKinds)[number];
  workspaceId: string;
  /** `scan` jobs: the scan row to run (or resume). */
  scanId?: string;
  /** `rescan-repo` jobs. */
  repoFullName?: string;
  /** `discover` jobs: the GitHub integration whose connect queued it. */
  integrationId?: string;
}

// ---- Inventory and findings ----

/**
 * The default branch's protection as GitHub enforces it: classic branch protection, repository
 * rulesets and organization rulesets that target it, combined (the strictest of each rule).
 */
export interface BranchProtectionSummary {
  requiredReviews: number;
  requiresStatusChecks: boolean;
  enforceAdmins: boolean;
  dismissStaleReviews?: boolean;
  requireCodeOwnerReviews?: boolean;
  blocksForcePushes?: boolean;
  blocksDeletions?: boolean;
  requiresSignatures?: boolean;
  /** What protects it; only active rulesets count. */
  sources?: ProtectionSource[];
  /** Who may bypass the rulesets that protect it. */
  bypassActors?: BypassActor[];
}

export interface ProtectionSource {
  kind: 'classic' | 'repository_ruleset' | 'organization_ruleset';
  /** The ruleset's id; null for classic protection. */
  id: number | null;
  name: string;
}

export interface BypassActor {
  rulesetId: number;
  actorType: string;
  actorId: number | null;
  bypassMode: string;
}

export interface RepoAccess {
  login: string;
  permission: RepoPermission;
  outside: boolean;
}

export interface TeamAccess {
  slug: string;
  permission: RepoPermission;
}

/** What GitHub says of a repository itself, in a listing or a webhook payload. */
export interface RepoFacts {
  githubId: number;
  fullName: string;
  private: boolean;
  visibility: 'public' | 'private' | 'internal';
  archived: boolean;
  fork: boolean;
  defaultBranch: string | null;
}

/** One repository as the scanner knows it. `null` details: not scanned yet (discovery only). */
export interface RepoRecord extends RepoFacts {
  /** null: default branch unprotected; absent: unknown (the installation may not read it). */
  protection?: BranchProtectionSummary | null;
  secretScanning: 'enabled' | 'disabled' | 'unknown';
  /** Security settings beyond secret scanning; absent or null parts: not readable. */
  security?: RepoSecurity | null;
  collaborators: RepoAccess[] | null;
  teams: TeamAccess[] | null;
  scanState: 'discovered' | 'scanned' | 'failed';
}

export interface RepoSecurity {
  pushProtection: 'enabled' | 'disabled' | 'unknown';
  vulnerabilityAlerts: boolean | null;
  securityPolicy: boolean | null;
}

/**
 * A deviation from the baseline. `repo` names what it is about: a repository's full name, or the
 * organization's login for organization checks (then `githubId` is 0).
 */
export interface Finding {
  repo: string;
  check: string;
  expected: unknown;
  actual: unknown;
  severity: Severity;
}

export const FindingStates = ['open', 'resolved'] as const;
export type FindingState = (typeof FindingStates)[number];

/** A finding with its lifecycle: opened when first seen, resolved when shown fixed. */
export interface TrackedFinding extends Finding {
  githubId: number;
  state: FindingState;
  firstSeenAt: string;
  lastSeenAt: string;
  resolvedAt: string | null;
}

/** `FindingOpened` / `FindingResolved`: a finding changed state, by a scan or a webhook. */
export interface FindingChangedData extends TrackedFinding {
  /** The scan that saw it, absent for a webhook's rescan. */
  scanId?: string;
  cause: 'scan' | 'webhook';
}

// ---- Events ----

export const ScannerEventTypes = {
  /** Accepted and waiting for a scanner replica. */
  scanQueued: 'ScanQueued',
  scanStarted: 'ScanStarted',
  scanProgress: 'ScanProgress',
  scanCompleted: 'ScanCompleted',
  scanFailed: 'ScanFailed',
  /** A batch of repositories discovered or scanned, with their findings when scanned. */
  reposUpdated: 'ReposUpdated',
  repoRemoved: 'RepoRemoved',
  cacheInvalidated: 'ScanCacheInvalidated',
  findingOpened: 'FindingOpened',
  findingResolved: 'FindingResolved',
} as const;

export interface ScanQueuedData {
  scanId: string;
  startedAt: string;
}

export interface ScanStartedData {
  scanId: string;
  startedAt: string;
  reposTotal: number;
}

export interface ScanProgressData {
  scanId: string;
  status: 'scanning' | 'rate_limited';
  reposScanned: number;
  reposTotal: number;
  reposFailed: number;
  startedAt: string;
  /** When status is `rate_limited`: when GitHub's budget refills. */
  rateLimitResetAt: string | null;
}

export interface ScanCompletedData {
  scanId: string;
  startedAt: string;
  completedAt: string;
  reposScanned: number;
  reposTotal: number;
  reposFailed: number;
  failedRepos: string[];
  /** Open findings after the scan. */
  findings: number;
  /** Checks not run for want of a permission: neither passed nor failed. */
  skippedChecks?: SkippedCheck[];
}

export interface ScanFailedData {
  scanId: string;
  startedAt: string;
  failedAt: string;
  reason: string;
  reposScanned: number;
  reposTotal: number;
}

export interface ReposUpdatedData {
  /** Set for batches produced by a scan; absent for discovery and webhook updates. */
  scanId?: string;
  /** Each scanned repository with its open findings (null: not scanned, findings unchanged). */
  repos: Array<RepoRecord & { findings: TrackedFinding[] | null }>;
}

export interface RepoRemovedData {
  githubId: number;
  fullName: string;
}

export interface ScanCacheInvalidatedData {
  clearedAt: string;
}
