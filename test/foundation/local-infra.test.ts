import { describe, expect, test } from '@jest/globals';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from '#libs/testing/src/index.js';
import { startEmbeddedPostgres } from '../../scripts/stack/local-infra.js';

describe('npm start on a machine without PostgreSQL', () => {
  test('runs the embedded PostgreSQL from the registry, keeping its data across restarts', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'embedded-pg-'));
    chmodSync(dataDir, 0o755); // as .data is: the server may run as another user than the test
    const port = await freePort();
    const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
    const query = async (sql: string) => {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        return (await client.query(sql)).rows;
      } finally {
        await client.end();
      }
    };
    try {
      const first = await startEmbeddedPostgres(port, dataDir);
      await query('CREATE TABLE kept (n int); INSERT INTO kept VALUES (7)');
      await first.stop();

      const second = await startEmbeddedPostgres(port, dataDir);
      try {
        expect(await query('SELECT n FROM kept')).toEqual([{ n: 7 }]);
        const [{ server_version_num }] = await query('SHOW server_version_num');
        expect(Number(server_version_num)).toBeGreaterThanOrEqual(170000);
      } finally {
        await second.stop();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 120_000);
});
