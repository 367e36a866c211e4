import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { createDataSource, migrate } from '#libs/database/src/index.js';
import { PostgresFixture } from '#libs/testing/src/index.js';
import { ConditionalCache } from '../../apps/scanner-service/src/github/conditional-cache.js';
import { scannerMigrations } from '../../apps/scanner-service/src/migrations/index.js';

/** GitHub answers cached with their ETag: a page is forgotten as unsaved only once it is saved. */
describe('the scanner’s conditional-request cache', () => {
  let db: PostgresFixture;
  let dataSource: DataSource;
  const page = (etag: string) => ({ etag, body: { etag }, nextUrl: null });
  const stored = (workspaceId: string) =>
    db.query<{ url: string; etag: string }>(
      `SELECT url, etag FROM scanner.http_cache WHERE workspace_id = $1 ORDER BY url`,
      [workspaceId],
    );

  beforeAll(async () => {
    db = await PostgresFixture.create('conditional_cache');
    dataSource = createDataSource({
      url: db.url,
      schema: 'scanner',
      migrations: scannerMigrations,
      applicationName: 'cache-test',
    });
    await dataSource.initialize();
    await migrate(dataSource, 'scanner');
  });

  afterAll(async () => {
    await dataSource.destroy();
    await db.dispose();
  });

  test('a flush whose write fails keeps its pages for the next flush', async () => {
    // Given a page remembered in memory
    const workspaceId = randomUUID();
    const cache = await ConditionalCache.load(dataSource, workspaceId);
    cache.put('/orgs/acme/teams', page('"a"'));

    // When the flush runs in a transaction that has already failed
    const runner = dataSource.createQueryRunner();
    await runner.connect();
    await runner.startTransaction();
    await runner.query('SELECT 1/0').catch(() => undefined);
    await expect(cache.flush(runner.manager)).rejects.toThrow(/aborted/);
    await runner.rollbackTransaction();
    await runner.release();

    // Then the next flush still writes it
    await cache.flush();
    expect(await stored(workspaceId)).toEqual([{ url: '/orgs/acme/teams', etag: '"a"' }]);
  });

  test('pages flushed in a transaction that rolls back are written by the next flush', async () => {
    // Given a page flushed inside a transaction that then rolls back
    const workspaceId = randomUUID();
    const cache = await ConditionalCache.load(dataSource, workspaceId);
    cache.put('/repos/acme/one/teams', page('"b"'));
    await dataSource
      .transaction(async (tx) => {
        await cache.flush(tx);
        throw new Error('a later statement of the transaction failed');
      })
      .catch(() => undefined);
    expect(await stored(workspaceId)).toEqual([]);

    // When the cache flushes again on its own
    await cache.flush();

    // Then the page is stored
    expect(await stored(workspaceId)).toEqual([{ url: '/repos/acme/one/teams', etag: '"b"' }]);
  });
});
