import { Inject, Injectable } from '@nestjs/common';
import { ReadModelChanges } from '../projections/read-model-changes.js';
import { IntegrationReadModel } from './integration-read-model.js';

type Status = 'connected' | 'disconnected' | 'all';

interface Entry {
  /** The answer, serialised once: most lists are read far more often than they change. */
  body: string;
  expiresAt: number;
}

/**
 * `GET /api/integrations` per workspace, as JSON text, kept until the workspace's integrations
 * change. A projector commit (here, or on the leading replica via `gateway.read-models.changed`)
 * drops the workspace's entries before read-your-writes waiters wake. A read that raced with a
 * change is not cached (generation check), and a TTL bounds staleness if a notice is lost.
 */
@Injectable()
export class IntegrationListCache {
  private readonly entries = new Map<string, Entry>();
  private readonly generations = new Map<string, number>();
  private readonly ttlMs = 5_000;
  private readonly maxEntries = 10_000;

  constructor(
    @Inject(IntegrationReadModel) private readonly readModel: IntegrationReadModel,
    @Inject(ReadModelChanges) changes: ReadModelChanges,
  ) {
    changes.onChange(({ workspaceIds }) => {
      for (const id of workspaceIds) this.invalidate(id);
    });
  }

  async body(workspaceId: string, status: Status): Promise<string> {
    const hit = this.cached(workspaceId, status);
    if (hit !== undefined) return hit;
    const key = `${workspaceId}:${status}`;
    const generation = this.generationOf(workspaceId);
    const body = JSON.stringify({ integrations: await this.readModel.list(workspaceId, status) });
    if (this.generationOf(workspaceId) === generation) {
      if (this.entries.size >= this.maxEntries) this.entries.clear();
      this.entries.set(key, { body, expiresAt: Date.now() + this.ttlMs });
    }
    return body;
  }

  /** The list as kept, if it is kept and fresh. */
  cached(workspaceId: string, status: Status): string | undefined {
    const hit = this.entries.get(`${workspaceId}:${status}`);
    return hit && hit.expiresAt > Date.now() ? hit.body : undefined;
  }

  invalidate(workspaceId: string): void {
    this.generations.set(workspaceId, (this.generations.get(workspaceId) ?? 0) + 1);
    for (const status of ['connected', 'disconnected', 'all'] as const) {
      this.entries.delete(`${workspaceId}:${status}`);
    }
  }

  private generationOf(workspaceId: string): number {
    return this.generations.get(workspaceId) ?? 0;
  }
}
