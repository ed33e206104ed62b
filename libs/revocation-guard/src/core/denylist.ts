import type { RevocationEvent, RevocationScope } from '@tokenfence/contract';
import { systemClock, type Clock } from './clock.js';
import { IdSet } from './id-set.js';

/** The claims of a verified access token that a revocation can match. */
export interface RevocableClaims {
  /** The issuer: a revocation covers only tokens of its own `iss`. */
  readonly iss: string;
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
  /** Issuers under a global cutoff (1 while one is in force, with one issuer). */
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

/** Everything revoked about the tokens of one issuer. */
class IssuerRevocations {
  /** Token and session tables exist only while they hold entries (see {@link prune}). */
  tokens: IdSet | undefined;
  sessions: IdSet | undefined;
  readonly users = new Map<string, UserCutoff>();
  /** kid → expiry of its entry (counted and pruned like the others). */
  readonly keys = new Map<string, number>();
  /** Every kid ever revoked, never forgotten (see {@link Denylist}). */
  readonly revokedKids = new Set<string>();
  everything: UserCutoff | undefined;

  /** Drops what can no longer matter from the id tables, and the tables left empty. */
  pruneIds(keepFrom: number): number {
    let dropped = 0;
    if (this.tokens) {
      dropped += this.tokens.prune(keepFrom);
      if (this.tokens.size === 0) this.tokens = undefined;
    }
    if (this.sessions) {
      dropped += this.sessions.prune(keepFrom);
      if (this.sessions.size === 0) this.sessions = undefined;
    }
    return dropped;
  }

  /** Nothing left to remember, not even a revoked kid. */
  isEmpty(): boolean {
    return (
      this.tokens === undefined &&
      this.sessions === undefined &&
      this.users.size === 0 &&
      this.keys.size === 0 &&
      this.revokedKids.size === 0 &&
      this.everything === undefined
    );
  }
}

/**
 * The in-memory set of revocations that can still matter, per issuer (contract revision 3): a
 * revocation covers only tokens whose `iss` is the event's `iss`. The same `sub` at two issuers
 * is two users, a key revocation is `(iss, kid)`, a global cutoff stops one issuer's tokens.
 * Each issuer has its own tables, so an entry costs what it cost with one issuer, and trusting
 * another issuer adds tables, never a wider key.
 *
 * Applying events is idempotent and order-independent (union of ids, latest cutoff and latest
 * expiry win), and an entry is kept until every token it can affect has expired plus the clock
 * tolerance, never less.
 *
 * One exception: a revoked signing key's `kid` is remembered for the denylist's whole life. Key
 * revocation answers a compromise, and the attacker can mint tokens with any `exp`, so no expiry
 * bounds what the key can sign (a few bytes per key revocation).
 */
export class Denylist {
  private readonly issuers = new Map<string, IssuerRevocations>();

  constructor(
    private readonly clockToleranceSeconds: number,
    private readonly clock: Clock = systemClock,
  ) {}

  /**
   * Applies one event: `applied` when it changed the denylist, `duplicate` when everything it
   * says was already known (a redelivery or a replay), `expired` when it can no longer matter.
   */
  apply(event: RevocationEvent): ApplyResult {
    if (event.scope === 'key') this.of(event.iss).revokedKids.add(event.kid); // even when expired
    if (!this.matters(event.expiresAt)) return 'expired';
    const issuer = this.of(event.iss);
    let changed: boolean;
    switch (event.scope) {
      case 'token':
        changed = (issuer.tokens ??= new IdSet()).add(event.jti, event.expiresAt);
        break;
      case 'session':
        changed = (issuer.sessions ??= new IdSet()).add(event.sid, event.expiresAt);
        break;
      case 'user': {
        const merged = mergeCutoff(issuer.users.get(event.sub), event.cutoff, event.expiresAt);
        if (merged) issuer.users.set(event.sub, merged);
        changed = merged !== undefined;
        break;
      }
      case 'all': {
        const merged = mergeCutoff(issuer.everything, event.cutoff, event.expiresAt);
        if (merged) issuer.everything = merged;
        changed = merged !== undefined;
        break;
      }
      case 'key': {
        const known = issuer.keys.get(event.kid);
        changed = known === undefined || event.expiresAt > known;
        if (changed) issuer.keys.set(event.kid, event.expiresAt);
        break;
      }
    }
    return changed ? 'applied' : 'duplicate';
  }

  /** The scope under which these claims are revoked, or undefined when they are not. */
  check(claims: RevocableClaims): RevocationScope | undefined {
    const issuer = this.issuers.get(claims.iss);
    if (issuer === undefined) return undefined;
    if (issuer.everything !== undefined && claims.iat <= issuer.everything.cutoff) return 'all';
    if (claims.kid !== undefined && issuer.revokedKids.has(claims.kid)) return 'key';
    if (claims.jti !== undefined && issuer.tokens?.has(claims.jti) === true) return 'token';
    if (claims.sid !== undefined && issuer.sessions?.has(claims.sid) === true) return 'session';
    const user = issuer.users.get(claims.sub);
    if (user !== undefined && claims.iat <= user.cutoff) return 'user';
    return undefined;
  }

  /** Whether `iss`'s signing key `kid` was revoked, however long ago (never forgotten). */
  isKeyRevoked(iss: string, kid: string): boolean {
    return this.issuers.get(iss)?.revokedKids.has(kid) === true;
  }

  /** Drops every entry that can no longer affect a valid token. Returns how many were dropped. */
  prune(): number {
    // An entry still matters while (expiresAt + tolerance) * 1000 >= now.
    const keepFrom = Math.ceil(this.clock.nowMs() / 1000 - this.clockToleranceSeconds);
    let dropped = 0;
    for (const [iss, issuer] of this.issuers) {
      dropped += issuer.pruneIds(keepFrom);
      for (const [key, entry] of issuer.users) {
        if (!this.matters(entry.expiresAt)) {
          issuer.users.delete(key);
          dropped++;
        }
      }
      for (const [kid, expiresAt] of issuer.keys) {
        if (!this.matters(expiresAt)) {
          issuer.keys.delete(kid);
          dropped++;
        }
      }
      if (issuer.everything && !this.matters(issuer.everything.expiresAt)) {
        issuer.everything = undefined;
        dropped++;
      }
      if (issuer.isEmpty()) this.issuers.delete(iss); // its tables go too
    }
    return dropped;
  }

  /** Live entries, summed over issuers (`all`: issuers under a global cutoff). */
  size(): DenylistSize {
    let token = 0;
    let session = 0;
    let user = 0;
    let key = 0;
    let all = 0;
    for (const issuer of this.issuers.values()) {
      token += issuer.tokens?.size ?? 0;
      session += issuer.sessions?.size ?? 0;
      user += issuer.users.size;
      key += issuer.keys.size;
      all += issuer.everything ? 1 : 0;
    }
    return { token, session, user, key, all };
  }

  /**
   * Bytes held by the typed-array tables of token and session ids (the bulk of the denylist);
   * the tables grow with the live entries, shrink back as pruning empties them, and go once empty.
   */
  tableBytes(): number {
    let bytes = 0;
    for (const issuer of this.issuers.values()) {
      bytes += (issuer.tokens?.tableBytes ?? 0) + (issuer.sessions?.tableBytes ?? 0);
    }
    return bytes;
  }

  /** The tables of `iss`, created on its first revocation. */
  private of(iss: string): IssuerRevocations {
    let issuer = this.issuers.get(iss);
    if (issuer === undefined) {
      issuer = new IssuerRevocations();
      this.issuers.set(iss, issuer);
    }
    return issuer;
  }

  private matters(expiresAt: number): boolean {
    return (expiresAt + this.clockToleranceSeconds) * 1000 >= this.clock.nowMs();
  }
}
