import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { Queryable } from '#libs/event-store/src/index.js';

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

const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * Envelope encryption. Each integration has its own random data key; only that key, wrapped by
 * the master key (`CREDENTIALS_MASTER_KEY`), is stored (table `data_keys`). Credentials are sealed
 * with the data key and bound to the integration id (GCM additional data), so ciphertext copied
 * to another integration does not open. Deleting the wrapped key shreds every copy of the
 * credentials in the append-only log at once.
 */
export class CredentialVault {
  private readonly masterKey: Buffer;

  constructor(
    masterKeyBase64: string,
    private readonly table: string,
  ) {
    this.masterKey = Buffer.from(masterKeyBase64, 'base64');
    if (this.masterKey.length !== 32) throw new Error('the master key must be 32 bytes');
  }

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

  private async dataKey(on: Queryable, integrationId: string): Promise<Buffer | undefined> {
    const { rows } = await on.query<{ wrapped_key: Buffer }>(
      `SELECT wrapped_key FROM ${this.table} WHERE integration_id = $1`,
      [integrationId],
    );
    return rows[0] ? this.unwrap(integrationId, rows[0].wrapped_key) : undefined;
  }

  private async createDataKey(on: Queryable, integrationId: string): Promise<Buffer> {
    const key = randomBytes(32);
    const created = await on.query(
      `INSERT INTO ${this.table} (integration_id, wrapped_key) VALUES ($1, $2)
       ON CONFLICT (integration_id) DO NOTHING`,
      [integrationId, this.wrap(integrationId, key)],
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
    const cipher = createCipheriv('aes-256-gcm', this.masterKey, iv);
    cipher.setAAD(Buffer.from(`data-key:${integrationId}`));
    const wrapped = Buffer.concat([cipher.update(key), cipher.final()]);
    return Buffer.concat([iv, cipher.getAuthTag(), wrapped]);
  }

  private unwrap(integrationId: string, blob: Buffer): Buffer {
    const decipher = createDecipheriv('aes-256-gcm', this.masterKey, blob.subarray(0, IV_BYTES));
    decipher.setAAD(Buffer.from(`data-key:${integrationId}`));
    decipher.setAuthTag(blob.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    return Buffer.concat([decipher.update(blob.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]);
  }
}
