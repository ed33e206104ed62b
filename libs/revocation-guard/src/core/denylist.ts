import type { RevocationEvent, RevocationScope } from '@tokenfence/contract';
import { systemClock, type Clock } from './clock.js';
import { IdSet } from './id-set.js';

/** The claims of a verified access token that a revocation can match. */
export interface RevocableClaims {
  readonly sub: string;
  /** Absent: no session revocation can cover the token. */
  readonly sid?: string | undefined;
  /** Absent: no single-token revocation can cover the token. */
  readonly jti?: string | undefined;
  readonly iat: number;
  /** The signing key's id; tokens without one are never covered by a key revocation. */
  readonly kid?: string;
}

interface UserCutoff {
  cutoff: number;
  expiresAt: number;
}

export interface DenylistSize {
  readonly token: number;
  readonly session: number;
  readonly user: number;
  readonly key: number;
  /** 1 while a global cutoff is in force. */
  readonly all: number;
}

export type ApplyResult = 'applied' | 'duplicate' | 'expired';

/** The later cutoff and expiry of the two, or undefined when `current` already covers both. */
function mergeCutoff(
  current: UserCutoff | undefined,
  cutoff: number,
  expiresAt: number,
): UserCutoff | undefined {
  if (current && current.cutoff >= cutoff && current.expiresAt >= expiresAt) return undefined;
  return {
    cutoff: Math.max(cutoff, current?.cutoff ?? 0),
    expiresAt: Math.max(expiresAt, current?.expiresAt ?? 0),
  };
}

/**
 * The in-memory set of revocations that can still matter. Applying events is idempotent and
 * order-independent (union of ids, latest cutoff and latest expiry win), and an entry is kept until
 * every token it can affect has expired plus the clock tolerance, never less.
 *
 * One exception: a revoked signing key's `kid` is remembered for the denylist's whole life. Key
 * revocation answers a compromise, and the attacker can mint tokens with any `exp`, so no expiry
 * bounds what the key can sign (a few bytes per key revocation).
 */
export class Denylist {
  private readonly tokens = new IdSet();
  private readonly sessions = new IdSet();
  private readonly users = new Map<string, UserCutoff>();
  private readonly keys = new Map<string, number>();
  private readonly revokedKids = new Set<string>();
  private everything: UserCutoff | undefined;

  constructor(
    private readonly clockToleranceSeconds: number,
    private readonly clock: Clock = systemClock,
  ) {}

  /**
   * Applies one event: `applied` when it changed the denylist, `duplicate` when everything it
   * says was already known (a redelivery or a replay), `expired` when it can no longer matter.
   */
  apply(event: RevocationEvent): ApplyResult {
    if (event.scope === 'key') this.revokedKids.add(event.kid); // even when the entry has expired
    if (!this.matters(event.expiresAt)) return 'expired';
    let changed: boolean;
    switch (event.scope) {
      case 'token':
        changed = this.tokens.add(event.jti, event.expiresAt);
        break;
      case 'session':
        changed = this.sessions.add(event.sid, event.expiresAt);
        break;
      case 'user': {
        const merged = mergeCutoff(this.users.get(event.sub), event.cutoff, event.expiresAt);
        if (merged) this.users.set(event.sub, merged);
        changed = merged !== undefined;
        break;
      }
      case 'all': {
        const merged = mergeCutoff(this.everything, event.cutoff, event.expiresAt);
        if (merged) this.everything = merged;
        changed = merged !== undefined;
        break;
      }
      case 'key': {
        const known = this.keys.get(event.kid);
        changed = known === undefined || event.expiresAt > known;
        if (changed) this.keys.set(event.kid, event.expiresAt);
        break;
      }
    }
    return changed ? 'applied' : 'duplicate';
  }

  /** The scope under which these claims are revoked, or undefined when they are not. */
  check(claims: RevocableClaims): RevocationScope | undefined {
    if (this.everything !== undefined && claims.iat <= this.everything.cutoff) return 'all';
    if (claims.kid !== undefined && this.revokedKids.has(claims.kid)) return 'key';
    if (claims.jti !== undefined && this.tokens.has(claims.jti)) return 'token';
    if (claims.sid !== undefined && this.sessions.has(claims.sid)) return 'session';
    const user = this.users.get(claims.sub);
    if (user !== undefined && claims.iat <= user.cutoff) return 'user';
    return undefined;
  }

  /** Whether the signing key `kid` was revoked, however long ago (never forgotten). */
  isKeyRevoked(kid: string): boolean {
    return this.revokedKids.has(kid);
  }

  /** Drops every entry that can no longer affect a valid token. Returns how many were dropped. */
  prune(): number {
    // An entry still matters while (expiresAt + tolerance) * 1000 >= now.
    const keepFrom = Math.ceil(this.clock.nowMs() / 1000 - this.clockToleranceSeconds);
    let dropped = this.tokens.prune(keepFrom) + this.sessions.prune(keepFrom);
    for (const [key, entry] of this.users) {
      if (!this.matters(entry.expiresAt)) {
        this.users.delete(key);
        dropped++;
      }
    }
    for (const [kid, expiresAt] of this.keys) {
      if (!this.matters(expiresAt)) {
        this.keys.delete(kid);
        dropped++;
      }
    }
    if (this.everything && !this.matters(this.everything.expiresAt)) {
      this.everything = undefined;
      dropped++;
    }
    return dropped;
  }

  size(): DenylistSize {
    return {
      token: this.tokens.size,
      session: this.sessions.size,
      user: this.users.size,
      key: this.keys.size,
      all: this.everything ? 1 : 0,
    };
  }

  /**
   * Bytes held by the typed-array tables of token and session ids (the bulk of the denylist);
   * the tables grow with the live entries and shrink back when pruning empties them.
   */
  tableBytes(): number {
    return this.tokens.tableBytes + this.sessions.tableBytes;
  }

  private matters(expiresAt: number): boolean {
    return (expiresAt + this.clockToleranceSeconds) * 1000 >= this.clock.nowMs();
  }
}
