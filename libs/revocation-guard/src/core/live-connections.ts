import type { RevocationEvent } from '@tokenfence/contract';
import type { Clock } from './clock.js';
import type { GuardErrorCode } from './guard-error.js';
import type { Principal } from './principal.js';
import type { RevocationFeed } from './revocation-feed.js';

/** What the registry needs of a live connection (a socket.io socket fits). */
export interface LiveConnection {
  readonly id: string;
  end(code: Extract<GuardErrorCode, 'TOKEN_REVOKED' | 'TOKEN_EXPIRED'>, message: string): void;
}

interface Tracked {
  readonly connection: LiveConnection;
  readonly principal: Principal;
  readonly expiryTimer: NodeJS.Timeout;
}

/**
 * Long-lived connections authenticated by an access token. Each is ended when its token,
 * session or user is revoked (as soon as the feed applies the event) or when the token expires.
 */
export class LiveConnections {
  private readonly byId = new Map<string, Tracked>();
  private readonly byKey = new Map<string, Set<string>>();

  constructor(
    feed: RevocationFeed,
    private readonly clock: Clock,
  ) {
    feed.onRevocation((revocation) => this.revoke(revocation));
  }

  track(connection: LiveConnection, principal: Principal): void {
    const delayMs = Math.max(0, principal.exp * 1000 - this.clock.nowMs());
    const expiryTimer = setTimeout(
      () => this.end(connection.id, 'TOKEN_EXPIRED', 'The access token has expired.'),
      Math.min(delayMs, 2 ** 31 - 1),
    );
    expiryTimer.unref();
    this.byId.set(connection.id, { connection, principal, expiryTimer });
    for (const key of this.keysOf(principal)) {
      const ids = this.byKey.get(key) ?? new Set<string>();
      ids.add(connection.id);
      this.byKey.set(key, ids);
    }
  }

  /** Stops tracking (the connection closed by itself). */
  forget(id: string): void {
    const tracked = this.byId.get(id);
    if (!tracked) return;
    clearTimeout(tracked.expiryTimer);
    this.byId.delete(id);
    for (const key of this.keysOf(tracked.principal)) {
      const ids = this.byKey.get(key);
      ids?.delete(id);
      if (ids?.size === 0) this.byKey.delete(key);
    }
  }

  get size(): number {
    return this.byId.size;
  }

  private revoke(revocation: RevocationEvent): void {
    const message = `The access token has been revoked (${revocation.scope}).`;
    if (revocation.scope === 'all') {
      for (const [id, tracked] of [...this.byId]) {
        const { iss, iat } = tracked.principal;
        if (iss === revocation.iss && iat <= revocation.cutoff) {
          this.end(id, 'TOKEN_REVOKED', message);
        }
      }
      return;
    }
    const key = issuerKey(
      revocation.iss,
      revocation.scope === 'token'
        ? `jti:${revocation.jti}`
        : revocation.scope === 'session'
          ? `sid:${revocation.sid}`
          : revocation.scope === 'key'
            ? `kid:${revocation.kid}`
            : `sub:${revocation.sub}`,
    );
    for (const id of [...(this.byKey.get(key) ?? [])]) {
      const tracked = this.byId.get(id);
      if (!tracked) continue;
      if (revocation.scope === 'user' && tracked.principal.iat > revocation.cutoff) continue;
      this.end(id, 'TOKEN_REVOKED', message);
    }
  }

  private end(id: string, code: 'TOKEN_REVOKED' | 'TOKEN_EXPIRED', message: string): void {
    const tracked = this.byId.get(id);
    if (!tracked) return;
    this.forget(id);
    tracked.connection.end(code, message);
  }

  private keysOf(principal: Principal): string[] {
    return [
      ...(principal.jti === undefined ? [] : [`jti:${principal.jti}`]),
      ...(principal.sid === undefined ? [] : [`sid:${principal.sid}`]),
      `sub:${principal.sub}`,
      `kid:${principal.kid}`,
    ].map((key) => issuerKey(principal.iss, key));
  }
}

/** A revocation covers only tokens of its own issuer (contract revision 3). */
const issuerKey = (iss: string, key: string): string => `${iss}\n${key}`;
