import { LRUCache } from 'lru-cache';
import type { Clock } from './clock.js';
import type { Principal } from './principal.js';

/**
 * Remembers tokens whose signature and claims were verified, keyed by the exact token string,
 * so a token seen before skips signature verification. An entry never outlives the token's
 * `exp`. Revocation is not cached: the denylist is still checked on every request.
 */
export class VerifiedTokenCache {
  private readonly entries: LRUCache<string, Principal>;

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
    this.entries.set(token, principal);
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
