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
  /** Pages not yet written, each with the number of its latest `put`. */
  private readonly dirty = new Map<string, number>();
  private puts = 0;

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

  /** Remembers a page now; it reaches the database with the next `flush` (batched). */
  put(url: string, page: CachedPage): void {
    this.pages.set(url, page);
    this.dirty.set(url, ++this.puts);
  }

  /**
   * Writes the pages remembered since the last flush, in one statement. A page counts as saved
   * only once that is durable (and it was not put again meanwhile), so a failed flush leaves them
   * for the next one: on its own (no `tx`) once the statement succeeds; inside a transaction only
   * when the caller, after the commit, calls the function this returns.
   */
  async flush(tx?: Pick<DataSource, 'query'>): Promise<() => void> {
    if (this.dirty.size === 0) return () => undefined;
    const db = tx ?? this.dataSource;
    const writing = new Map(this.dirty);
    const urls = [...writing.keys()];
    await db.query(
      `INSERT INTO scanner.http_cache (workspace_id, url, etag, body, next_url)
       SELECT $1, x.url, x.etag, x.body, x.next_url
       FROM jsonb_to_recordset($2::jsonb) AS x(url text, etag text, body jsonb, next_url text)
       ON CONFLICT (workspace_id, url) DO UPDATE
         SET etag = EXCLUDED.etag, body = EXCLUDED.body, next_url = EXCLUDED.next_url`,
      [
        this.workspaceId,
        JSON.stringify(
          urls.map((url) => {
            const page = this.pages.get(url)!;
            return { url, etag: page.etag, body: page.body, next_url: page.nextUrl };
          }),
        ),
      ],
    );
    const saved = () => {
      for (const [url, put] of writing) if (this.dirty.get(url) === put) this.dirty.delete(url);
    };
    if (!tx) saved();
    return saved;
  }

  static async clear(dataSource: DataSource, workspaceId: string): Promise<number> {
    const [, count] = (await dataSource.query(
      `DELETE FROM scanner.http_cache WHERE workspace_id = $1`,
      [workspaceId],
    )) as [unknown, number];
    return count;
  }
}
