import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * For a local stack only: a 32-byte key generated once and kept under the data folder (so
 * restarts can still decrypt and verify). Production sets each from a secret store.
 */
export function localKey(dataDir: string, file: string): string {
  const path = join(dataDir, file);
  if (!existsSync(path)) {
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(path, randomBytes(32).toString('base64'), { mode: 0o600 });
  }
  return readFileSync(path, 'utf8').trim();
}

/**
 * The stack's secrets: the credentials master key (unless a keyring is given) and the gateway's
 * signing key, each from the environment or kept under the data folder.
 */
export function localSecrets(dataDir: string, env: NodeJS.ProcessEnv): Record<string, string> {
  return {
    ...(env.CREDENTIALS_MASTER_KEYS
      ? {}
      : {
          CREDENTIALS_MASTER_KEY:
            env.CREDENTIALS_MASTER_KEY ?? localKey(dataDir, 'credentials-master.key'),
        }),
    GATEWAY_SIGNING_KEY: env.GATEWAY_SIGNING_KEY ?? localKey(dataDir, 'gateway-signing.key'),
  };
}
