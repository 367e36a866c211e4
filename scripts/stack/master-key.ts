import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * For a local stack only: a credentials master key generated once and kept under the data folder
 * (so restarts can still decrypt). Production sets CREDENTIALS_MASTER_KEY from a secret store.
 */
export function localMasterKey(dataDir: string): string {
  const path = join(dataDir, 'credentials-master.key');
  if (!existsSync(path)) {
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(path, randomBytes(32).toString('base64'), { mode: 0o600 });
  }
  return readFileSync(path, 'utf8').trim();
}
