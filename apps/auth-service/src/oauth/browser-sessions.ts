import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { ClientInfo } from '../auth/client-info.js';
import { AUTH_CONFIG, type AuthConfig } from '../config/auth-config.js';
import { DATABASE, type Database, type Queryable } from '../database/database.js';
import { CLOCK, type Clock } from '../time/clock.js';

/** A live sign-in of a browser at the hosted login page. */
export interface LiveBrowserSession {
  readonly id: string;
  readonly userId: string;
  /** When the user signed in (seconds): the `auth_time` of what a code of it issues. */
  readonly authTime: number;
}

/** What a new sign-in gives the browser: the cookie's value (never stored) and its lifetime. */
export interface OpenedBrowserSession extends LiveBrowserSession {
  readonly cookieValue: string;
  readonly maxAgeSeconds: number;
}

const hashOf = (cookieValue: string): string =>
  createHash('sha256').update(cookieValue).digest('base64url');

/** A cookie value as this service mints them: 32 random bytes, base64url. */
const COOKIE_VALUE = /^[A-Za-z0-9_-]{43}$/;

/**
 * Browser sessions: a user signed in at the hosted login page, in one browser. While one is live
 * (not ended, not expired, its user exists and is not disabled), the browser gets authorization
 * codes without a password. It is no token: nothing about it goes on the revocation topic.
 */
@Injectable()
export class BrowserSessions {
  constructor(
    @Inject(AUTH_CONFIG) private readonly config: AuthConfig,
    @Inject(DATABASE) private readonly db: Database,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /** Opens one for a user who just signed in; only the cookie value's SHA-256 is stored. */
  async open(userId: string, device: ClientInfo): Promise<OpenedBrowserSession> {
    const cookieValue = randomBytes(32).toString('base64url');
    const id = randomUUID();
    const nowMs = this.clock.nowMs();
    const maxAgeSeconds = this.config.browserSessionTtlSeconds;
    await this.db.query(
      `INSERT INTO browser_sessions (id, token_hash, user_id, created_at, expires_at, user_agent, ip)
       VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [
        id,
        hashOf(cookieValue),
        userId,
        new Date(nowMs),
        new Date(nowMs + maxAgeSeconds * 1000),
        device.userAgent ?? null,
        device.ip ?? null,
      ],
    );
    return { id, userId, authTime: Math.floor(nowMs / 1000), cookieValue, maxAgeSeconds };
  }

  /** The live session of a cookie value, or undefined (unknown, ended, expired, user disabled). */
  async findLive(
    cookieValue: string | undefined,
    tx: Queryable = this.db,
  ): Promise<LiveBrowserSession | undefined> {
    if (cookieValue === undefined || !COOKIE_VALUE.test(cookieValue)) return undefined;
    const rows = await tx.query<{ id: string; user_id: string; auth_time: string | number }>(
      `SELECT b.id, b.user_id, floor(extract(epoch FROM b.created_at))::bigint AS auth_time
         FROM browser_sessions b JOIN users u ON u.id = b.user_id
        WHERE b.token_hash = $1 AND b.revoked_at IS NULL AND b.expires_at > $2
          AND u.disabled_at IS NULL`,
      [hashOf(cookieValue), new Date(this.clock.nowMs())],
    );
    const row = rows[0];
    return row && { id: row.id, userId: row.user_id, authTime: Number(row.auth_time) };
  }

  /** Whether a browser session (by id) is still live, in a unit of work. */
  async isLive(tx: Queryable, id: string): Promise<boolean> {
    // Share-locked for the caller's transaction: a sign-out that ends it (it locks the row
    // first, before the token sessions and the user) commits before this read, and is seen, or
    // waits for the caller, and then ends what the caller opened.
    const rows = await tx.query(
      `SELECT 1 FROM browser_sessions b JOIN users u ON u.id = b.user_id
        WHERE b.id = $1 AND b.revoked_at IS NULL AND b.expires_at > $2 AND u.disabled_at IS NULL
        FOR SHARE OF b`,
      [id, new Date(this.clock.nowMs())],
    );
    return rows.length === 1;
  }

  /**
   * Ends the browser session a live token session of the user was opened from, if any (a
   * logout). Called before the token session is revoked: browser sessions are locked first.
   */
  async endOfSession(tx: Queryable, userId: string, sessionId: string): Promise<void> {
    await tx.query(
      `UPDATE browser_sessions SET revoked_at = now()
        WHERE revoked_at IS NULL
          AND id = (SELECT browser_session_id FROM sessions
                     WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL)`,
      [sessionId, userId],
    );
  }

  /**
   * Ends every browser session of a user (log out everywhere), but the one the token session
   * `keepOfSession` came from when given (a password change keeps the caller signed in).
   */
  async endAllOfUser(tx: Queryable, userId: string, keepOfSession?: string): Promise<void> {
    await tx.query(
      `UPDATE browser_sessions SET revoked_at = now()
        WHERE user_id = $1 AND revoked_at IS NULL
          AND id IS DISTINCT FROM (SELECT browser_session_id FROM sessions WHERE id = $2)`,
      [userId, keepOfSession ?? null],
    );
  }
}
