import { Inject, Injectable } from '@nestjs/common';
import { SERVICE_CONFIG } from '#libs/service-kit/src/index.js';
import { ReadModelChanges } from '../projections/index.js';
import type { RestConfig } from './rest.config.js';

interface Entry {
  body: string;
  expiresAt: number;
}

/**
 * Rendered list pages per org, kept until the org's integrations change: lists are read far more
 * often than they change, and a page is the same text for every caller of that org. A change
 * notice (the integration projection here or on the leading replica, or this API's deletions
 * projection) drops the org's pages before read-your-writes waiters wake; a page read while a
 * change landed is not kept (generation check); a TTL bounds staleness if a notice is lost.
 */
@Injectable()
export class RestListCache {
  private readonly pages = new Map<string, Map<string, Entry>>();
  private readonly generations = new Map<string, number>();
  private readonly ttlMs: number;
  private readonly maxPagesPerOrg = 500;
  private readonly maxOrgs = 10_000;

  constructor(
    @Inject(ReadModelChanges) changes: ReadModelChanges,
    @Inject(SERVICE_CONFIG) config: Partial<RestConfig> = {},
  ) {
    this.ttlMs = config.REST_LIST_CACHE_TTL_MS ?? 5_000;
    changes.onChange(({ workspaceIds }) => {
      for (const id of workspaceIds) this.invalidate(id);
    });
  }

  /** The page for `key` in `orgId`, rendered by `render` when not cached. */
  async page(orgId: string, key: string, render: () => Promise<string>): Promise<string> {
    const hit = this.pages.get(orgId)?.get(key);
    if (hit && hit.expiresAt > Date.now()) return hit.body;
    const generation = this.generations.get(orgId) ?? 0;
    const body = await render();
    if (this.ttlMs > 0 && (this.generations.get(orgId) ?? 0) === generation) {
      let org = this.pages.get(orgId);
      if (!org) {
        if (this.pages.size >= this.maxOrgs) this.pages.clear();
        org = new Map();
        this.pages.set(orgId, org);
      }
      if (org.size >= this.maxPagesPerOrg) org.clear();
      org.set(key, { body, expiresAt: Date.now() + this.ttlMs });
    }
    return body;
  }

  invalidate(orgId: string): void {
    this.generations.set(orgId, (this.generations.get(orgId) ?? 0) + 1);
    this.pages.delete(orgId);
  }
}
