import { hash, randomBytes } from 'node:crypto';

/** Prefix that makes a leaked key recognisable by secret scanners and people. */
export const TOKEN_PREFIX = 'igw_';

/** A new API key: 32 random bytes, base64url, prefixed. Shown once, never stored. */
export function generateTokenSecret(): string {
  return TOKEN_PREFIX + randomBytes(32).toString('base64url');
}

/** What is stored and looked up: SHA-256 of the whole key (keys are random, so no salt needed). */
export function hashTokenSecret(secret: string): Buffer {
  // One-shot `hash` is several times cheaper than `createHash` for a short input; this runs on
  // every authenticated request.
  return hash('sha256', secret, 'buffer');
}

/** Enough of a key to tell two apart in a listing without revealing it. */
export function tokenHint(secret: string): string {
  return `${secret.slice(0, TOKEN_PREFIX.length + 4)}…`;
}

/** `igw_` + 43 base64url characters; anything else is malformed and never reaches the store. */
const SHAPE = /^igw_[A-Za-z0-9_-]{43}$/;

export function isWellFormedToken(secret: string): boolean {
  return SHAPE.test(secret);
}

/** `Token <key>` or `Bearer <key>` (scheme case-insensitive); undefined when malformed. */
export function parseAuthorization(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const match = /^(?:token|bearer)\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}
