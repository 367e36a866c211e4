import type { RepoFacts } from '#libs/contracts/src/index.js';

/**
 * What webhook processing needs from the scanner's repository inventory (its `InventoryService`,
 * apps/scanner-service/src/inventory/): each method idempotent, each change published as a
 * scanner event that the gateway projects into `github/repos` and findings.
 */
export interface WebhookInventory {
  /** Stores the repository's facts at once, then (by default) rescans it on its own. */
  upsertRepo(workspaceId: string, repo: RepoFacts, options?: { rescan?: boolean }): Promise<void>;
  removeRepo(workspaceId: string, githubId: number): Promise<boolean>;
  renameRepo(workspaceId: string, githubId: number, fullName: string): Promise<boolean>;
  rescanRepo(workspaceId: string, fullName: string): Promise<unknown>;
  recomputePermissions(workspaceId: string): Promise<unknown>;
}

export const WEBHOOK_INVENTORY = Symbol('WEBHOOK_INVENTORY');
