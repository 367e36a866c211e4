import type { AuthContext } from './roles.js';

interface Entry {
  auth: AuthContext | null;
  expiresAt: number;
}

/**
 * Recently seen keys (by hash) and who they belong to, for a few seconds: token lookup sits on
 * every request, so most requests skip Postgres. Unknown keys are remembered too (as null): keys
 * are random, so a hash that is unknown now can only become valid if that very key is issued,
 * which `forget*` covers. Revocation on this replica forgets at once; other replicas hear it on
 * the bus (see `AuthInvalidation`) and, at worst, the TTL bounds how long a revoked key works.
 */
export class TokenCache {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly ttlMs = 5_000,
    private readonly maxEntries = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  get(hash: string): AuthContext | null | undefined {
    const entry = this.entries.get(hash);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.now()) {
      this.entries.delete(hash);
      return undefined;
    }
    return entry.auth;
  }

  set(hash: string, auth: AuthContext | null): void {
    if (this.entries.size >= this.maxEntries) {
      // Maps iterate in insertion order: drop the oldest tenth rather than grow without bound.
      let drop = Math.ceil(this.maxEntries / 10);
      for (const key of this.entries.keys()) {
        this.entries.delete(key);
        if (--drop === 0) break;
      }
    }
    this.entries.set(hash, { auth, expiresAt: this.now() + this.ttlMs });
  }

  forgetTokens(tokenIds: readonly string[]): void {
    if (tokenIds.length === 0) return;
    const ids = new Set(tokenIds);
    for (const [hash, entry] of this.entries) {
      if (entry.auth && ids.has(entry.auth.tokenId)) this.entries.delete(hash);
    }
  }

  forgetMembers(memberIds: readonly string[]): void {
    if (memberIds.length === 0) return;
    const ids = new Set(memberIds);
    for (const [hash, entry] of this.entries) {
      if (entry.auth && ids.has(entry.auth.memberId)) this.entries.delete(hash);
    }
  }

  /** Forgets unknown keys: a key issued just now must not stay "unknown" from a cached miss. */
  forgetUnknown(): void {
    for (const [hash, entry] of this.entries) if (entry.auth === null) this.entries.delete(hash);
  }

  get size(): number {
    return this.entries.size;
  }
}
