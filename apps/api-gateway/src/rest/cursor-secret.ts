import { randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';

/**
 * The key cursors are signed with. Every gateway replica must accept every other's cursors, so
 * the key lives in the gateway's schema: the first replica to start creates it, the rest read it.
 */
export async function loadCursorSecret(dataSource: DataSource): Promise<Buffer> {
  await dataSource.query(
    `INSERT INTO gateway.rest_cursor_secret (id, secret) VALUES (1, $1) ON CONFLICT (id) DO NOTHING`,
    [randomBytes(32)],
  );
  const rows: { secret: Buffer }[] = await dataSource.query(
    `SELECT secret FROM gateway.rest_cursor_secret WHERE id = 1`,
  );
  return rows[0]!.secret;
}
