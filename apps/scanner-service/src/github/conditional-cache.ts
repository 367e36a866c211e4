import type { DataSource } from 'typeorm';

export interface CachedPage {
  etag: string;
  body: unknown;
  nextUrl: string | null;
}

/**
 * GitHub answers kept per workspace with their ETag, so a rescan asks `If-None-Match` and a 304
 * (free of rate limit) stands for the page. Only the part of a body the scanner uses is stored.
 * Loaded once per scan into memory: one query instead of one per repository.
 */
export class ConditionalCache {
  private constructor(
    private readonly dataSource: DataSource,
    private readonly workspaceId: string,
    private readonly pages: Map<string, CachedPage>,
  ) {}

  static async load(dataSource: DataSource, workspaceId: string): Promise<ConditionalCache> {
    const rows: Array<{ url: string; etag: string; body: unknown; next_url: string | null }> =
      await dataSource.query(
        `SELECT url, etag, body, next_url FROM scanner.http_cache WHERE workspace_id = $1`,
        [workspaceId],
      );
    return new ConditionalCache(
      dataSource,
      workspaceId,
      new Map(rows.map((r) => [r.url, { etag: r.etag, body: r.body, nextUrl: r.next_url }])),
    );
  }

  get(url: string): CachedPage | undefined {
    return this.pages.get(url);
  }

  async put(url: string, page: CachedPage): Promise<void> {
    this.pages.set(url, page);
    await this.dataSource.query(
      `INSERT INTO scanner.http_cache (workspace_id, url, etag, body, next_url)
       VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (workspace_id, url) DO UPDATE
         SET etag = EXCLUDED.etag, body = EXCLUDED.body, next_url = EXCLUDED.next_url`,
      [this.workspaceId, url, page.etag, JSON.stringify(page.body), page.nextUrl],
    );
  }

  static async clear(dataSource: DataSource, workspaceId: string): Promise<number> {
    const [, count] = (await dataSource.query(
      `DELETE FROM scanner.http_cache WHERE workspace_id = $1`,
      [workspaceId],
    )) as [unknown, number];
    return count;
  }
}
