import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { Queryable } from '#libs/event-store/src/index.js';
import type { MasterKeyring } from './master-keyring.js';

/** Where the wrapped data keys live. */
export const DATA_KEYS_TABLE = 'integration.data_keys';

/** Credentials as they sit in the log: AES-256-GCM under the integration's data key. */
export interface SealedCredentials {
  alg: 'A256GCM';
  iv: string;
  tag: string;
  ciphertext: string;
}

/** The integration's key is gone (hard delete): its credentials cannot be read any more. */
export class CredentialsShreddedError extends Error {
  constructor(integrationId: string) {
    super(`the data key of integration ${integrationId} was destroyed`);
    this.name = 'CredentialsShreddedError';
  }
}

interface WrappedRow {
  key_id: string;
  wrapped_key: Buffer;
}

const IV_BYTES = 12;
const TAG_BYTES = 16;

/** A data key wrapped by a master key that the keyring no longer holds. */
export class UnknownMasterKeyError extends Error {
  constructor(integrationId: string, keyId: string) {
    super(
      `the data key of integration ${integrationId} is wrapped by master key "${keyId}", which is not in the keyring`,
    );
    this.name = 'UnknownMasterKeyError';
  }
}

/**
 * Envelope encryption. Each integration has its own random data key; only that key, wrapped by
 * a master key of the keyring and stored with that key's id, is kept (table `data_keys`).
 * Credentials are sealed with the data key and bound to the integration id (GCM additional
 * data), so ciphertext copied to another integration does not open. Deleting the wrapped key
 * shreds every copy of the credentials in the append-only log at once. Rotating the master key
 * re-wraps data keys (`rewrapBatch`); sealed credentials do not change.
 */
export class CredentialVault {
  constructor(
    private readonly ring: MasterKeyring,
    private readonly table: string,
  ) {}

  async seal(
    on: Queryable,
    integrationId: string,
    credentials: Record<string, unknown>,
  ): Promise<SealedCredentials> {
    const key =
      (await this.dataKey(on, integrationId)) ?? (await this.createDataKey(on, integrationId));
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    cipher.setAAD(Buffer.from(`credentials:${integrationId}`));
    const ciphertext = Buffer.concat([
      cipher.update(JSON.stringify(credentials), 'utf8'),
      cipher.final(),
    ]);
    return {
      alg: 'A256GCM',
      iv: iv.toString('base64'),
      tag: cipher.getAuthTag().toString('base64'),
      ciphertext: ciphertext.toString('base64'),
    };
  }

  async open(
    on: Queryable,
    integrationId: string,
    sealed: SealedCredentials,
  ): Promise<Record<string, unknown>> {
    const key = await this.dataKey(on, integrationId);
    if (!key) throw new CredentialsShreddedError(integrationId);
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(sealed.iv, 'base64'));
    decipher.setAAD(Buffer.from(`credentials:${integrationId}`));
    decipher.setAuthTag(Buffer.from(sealed.tag, 'base64'));
    const plain = Buffer.concat([
      decipher.update(Buffer.from(sealed.ciphertext, 'base64')),
      decipher.final(),
    ]);
    return JSON.parse(plain.toString('utf8')) as Record<string, unknown>;
  }

  /** Destroys the integration's data key: every sealed copy becomes noise. */
  async shred(on: Queryable, integrationId: string): Promise<boolean> {
    const result = await on.query(`DELETE FROM ${this.table} WHERE integration_id = $1`, [
      integrationId,
    ]);
    return (result.rowCount ?? 0) > 0;
  }

  /**
   * Re-wraps up to `limit` data keys that another master key wrapped with the current one, in
   * one transaction of `on` (each row locked while it changes); returns how many. A concurrent
   * command reads either wrapping, and both open the same data key.
   */
  async rewrapBatch(on: Queryable, limit: number): Promise<number> {
    const current = this.ring.current;
    const { rows } = await on.query<WrappedRow & { integration_id: string }>(
      `SELECT integration_id, key_id, wrapped_key FROM ${this.table}
        WHERE key_id <> $1 ORDER BY integration_id LIMIT $2 FOR UPDATE`,
      [current.id, limit],
    );
    for (const row of rows) {
      const key = this.unwrap(row.integration_id, row);
      await on.query(
        `UPDATE ${this.table} SET wrapped_key = $2, key_id = $3 WHERE integration_id = $1`,
        [row.integration_id, this.wrap(row.integration_id, key), current.id],
      );
    }
    return rows.length;
  }

  /** How many data keys each master key wraps now, by key id. */
  async keyIds(on: Queryable): Promise<Record<string, number>> {
    const { rows } = await on.query<{ key_id: string; count: string }>(
      `SELECT key_id, count(*)::text AS count FROM ${this.table} GROUP BY key_id ORDER BY key_id`,
    );
    return Object.fromEntries(rows.map((r) => [r.key_id, Number(r.count)]));
  }

  private async dataKey(on: Queryable, integrationId: string): Promise<Buffer | undefined> {
    const { rows } = await on.query<WrappedRow>(
      `SELECT key_id, wrapped_key FROM ${this.table} WHERE integration_id = $1`,
      [integrationId],
    );
    return rows[0] ? this.unwrap(integrationId, rows[0]) : undefined;
  }

  private async createDataKey(on: Queryable, integrationId: string): Promise<Buffer> {
    const key = randomBytes(32);
    const created = await on.query(
      `INSERT INTO ${this.table} (integration_id, wrapped_key, key_id) VALUES ($1, $2, $3)
       ON CONFLICT (integration_id) DO NOTHING`,
      [integrationId, this.wrap(integrationId, key), this.ring.current.id],
    );
    if (created.rowCount === 1) return key;
    // A concurrent command created it first (and committed): use that one. Its append to the
    // same stream makes this command retry against fresh state anyway.
    const existing = await this.dataKey(on, integrationId);
    if (!existing) throw new Error(`no data key for integration ${integrationId}`);
    return existing;
  }

  private wrap(integrationId: string, key: Buffer): Buffer {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.ring.current.key, iv);
    cipher.setAAD(Buffer.from(`data-key:${integrationId}`));
    const wrapped = Buffer.concat([cipher.update(key), cipher.final()]);
    return Buffer.concat([iv, cipher.getAuthTag(), wrapped]);
  }

  private unwrap(integrationId: string, row: WrappedRow): Buffer {
    const masterKey = this.ring.key(row.key_id);
    if (!masterKey) throw new UnknownMasterKeyError(integrationId, row.key_id);
    const blob = row.wrapped_key;
    const decipher = createDecipheriv('aes-256-gcm', masterKey, blob.subarray(0, IV_BYTES));
    decipher.setAAD(Buffer.from(`data-key:${integrationId}`));
    decipher.setAuthTag(blob.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    return Buffer.concat([decipher.update(blob.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]);
  }
}
