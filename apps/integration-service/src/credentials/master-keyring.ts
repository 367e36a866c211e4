import { ConfigError, type RingKey } from '#libs/config/src/index.js';

/** The id of `CREDENTIALS_MASTER_KEY` alone, and of every data key wrapped before key ids existed. */
export const SINGLE_KEY_ID = 'primary';

/**
 * The master keys that wrap integrations' data keys: the current one wraps every new data key
 * and every key a rotation re-wraps; the others only unwrap what they wrapped before.
 */
export class MasterKeyring {
  private readonly byId: Map<string, Buffer>;

  constructor(readonly keys: readonly RingKey[]) {
    if (keys.length === 0) throw new Error('a keyring holds at least one key');
    this.byId = new Map(keys.map((k) => [k.id, k.key]));
  }

  get current(): RingKey {
    return this.keys[0]!;
  }

  key(id: string): Buffer | undefined {
    return this.byId.get(id);
  }

  /**
   * `CREDENTIALS_MASTER_KEYS` (`id:base64,...`, first current), or `CREDENTIALS_MASTER_KEY` as a
   * ring of one whose id is `primary`. One of the two, not both: two sources of truth for the
   * current key would let replicas disagree on it.
   */
  static fromConfig(config: MasterKeyConfig): MasterKeyring {
    const { CREDENTIALS_MASTER_KEYS: ring, CREDENTIALS_MASTER_KEY: single } = config;
    if (ring && single) {
      throw new ConfigError(
        'CREDENTIALS_MASTER_KEYS',
        `and CREDENTIALS_MASTER_KEY are both set: keep the ring only (name the old key "${SINGLE_KEY_ID}" in it)`,
      );
    }
    if (ring) return new MasterKeyring(ring);
    if (single)
      return new MasterKeyring([{ id: SINGLE_KEY_ID, key: Buffer.from(single, 'base64') }]);
    throw new ConfigError(
      'CREDENTIALS_MASTER_KEY',
      'is required (32 bytes in base64), or CREDENTIALS_MASTER_KEYS as a keyring `id:base64,...`',
    );
  }
}

export interface MasterKeyConfig {
  CREDENTIALS_MASTER_KEY?: string;
  CREDENTIALS_MASTER_KEYS?: RingKey[];
}
