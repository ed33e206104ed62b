import { LRUCache } from 'lru-cache';
import type { Clock } from './clock.js';
import type { Principal } from './principal.js';

/** Expired entries are swept out at most this often (on a write), so memory follows live tokens. */
const PURGE_INTERVAL_MS = 30_000;

/**
 * Remembers tokens whose signature and claims were verified, keyed by the exact token string,
 * so a token seen before skips signature verification. An entry never outlives the token's
 * `exp`. Revocation is not cached: the denylist is still checked on every request. An entry costs
 * about 1.5 KB (the token string and its principal); at most `maxEntries` are kept, and expired
 * ones are swept out every 30 s rather than left until the LRU evicts them.
 */
export class VerifiedTokenCache {
  private readonly entries: LRUCache<string, Principal>;
  private lastPurgeMs = 0;

  constructor(
    maxEntries: number,
    private readonly clock: Clock,
  ) {
    this.entries = new LRUCache<string, Principal>({ max: maxEntries });
  }

  get(token: string): Principal | undefined {
    const principal = this.entries.get(token);
    if (principal === undefined) return undefined;
    if (principal.exp * 1000 <= this.clock.nowMs()) {
      this.entries.delete(token);
      return undefined;
    }
    return principal;
  }

  set(token: string, principal: Principal): void {
    const now = this.clock.nowMs();
    if (now - this.lastPurgeMs >= PURGE_INTERVAL_MS) {
      this.lastPurgeMs = now;
      this.purgeExpired(now);
    }
    this.entries.set(token, principal);
  }

  /** Drops every entry whose token has expired by `nowMs`; returns how many. */
  purgeExpired(nowMs: number): number {
    let dropped = 0;
    for (const [token, principal] of this.entries.entries()) {
      if (principal.exp * 1000 <= nowMs) {
        this.entries.delete(token);
        dropped++;
      }
    }
    return dropped;
  }

  /** Forgets every token signed with `kid` (a revoked signing key). */
  dropKey(kid: string): number {
    let dropped = 0;
    for (const [token, principal] of this.entries.entries()) {
      if (principal.kid === kid) {
        this.entries.delete(token);
        dropped++;
      }
    }
    return dropped;
  }

  clear(): void {
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }
}
