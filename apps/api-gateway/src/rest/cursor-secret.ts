import { hkdfSync } from 'node:crypto';
import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The key cursors are signed with, derived (HKDF-SHA256) from `GATEWAY_SIGNING_KEY`: every gateway
 * replica with the same configuration derives the same key, and nothing secret is stored. A new
 * signing key makes outstanding cursors invalid (400), which a client recovers from by starting
 * the list again.
 */
export function cursorSecret(signingKeyBase64: string): Buffer {
  return Buffer.from(
    hkdfSync(
      'sha256',
      Buffer.from(signingKeyBase64, 'base64'),
      Buffer.alloc(0),
      'rest-cursor/v1',
      32,
    ),
  );
}

/** The cursor secret used to sit in this table, in clear: it goes, and with it that secret. */
export class DropStoredCursorSecret1764000019500 implements MigrationInterface {
  name = 'DropStoredCursorSecret1764000019500';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`DROP TABLE IF EXISTS gateway.rest_cursor_secret`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE gateway.rest_cursor_secret (
        id smallint PRIMARY KEY CHECK (id = 1),
        secret bytea NOT NULL
      )`);
  }
}
