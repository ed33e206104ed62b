import { Inject, Injectable } from '@nestjs/common';
import { DATABASE, type Database, type Queryable } from '../database/database.js';

export interface NewSession {
  readonly id: string;
  readonly userId: string;
  readonly expiresAt: Date;
  readonly userAgent: string | undefined;
  readonly ip: string | undefined;
  readonly clientId: string;
  /** The scopes the login asked for; undefined for everything the client may have. */
  readonly requestedScope: string | undefined;
  /** The browser session (hosted login) a code came from: a logout of this session ends it too. */
  readonly browserSessionId?: string;
  /** When the user authenticated (seconds), if before now: a code's browser-session login. */
  readonly authTime?: number;
}

/** A refresh token looked up for rotation, with what decides whether it may be spent. */
export interface RefreshTokenState {
  readonly sessionId: string;
  readonly userId: string;
  readonly used: boolean;
  readonly tokenExpired: boolean;
  readonly sessionLive: boolean;
  /** When the session's user logged in, in seconds: the tokens' `auth_time`. */
  readonly authTime: number;
  /** When the refresh token expires, in seconds. */
  readonly expiresAt: number;
  /** Spent at most `graceSeconds` ago, and its successor is still unspent. */
  readonly inGrace: boolean;
  /** The client the session was opened for, and the scopes its login asked for. */
  readonly clientId: string;
  readonly requestedScope: string | undefined;
}

/** The live state of a session, as bearer routes of the auth service check it. */
export interface SessionState {
  readonly userId: string;
  readonly revoked: boolean;
  readonly tokensRevokedBefore: number;
}

/** A live session as the sessions list shows it. */
export interface SessionView {
  readonly sid: string;
  readonly createdAt: Date;
  readonly lastUsedAt: Date;
  readonly userAgent: string | null;
  readonly ip: string | null;
}

@Injectable()
export class SessionsRepository {
  constructor(@Inject(DATABASE) private readonly db: Database) {}

  async insert(tx: Queryable, session: NewSession): Promise<void> {
    await tx.query(
      `INSERT INTO sessions
         (id, user_id, expires_at, user_agent, ip, client_id, requested_scope, browser_session_id,
          auth_time)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [
        session.id,
        session.userId,
        session.expiresAt,
        session.userAgent ?? null,
        session.ip ?? null,
        session.clientId,
        session.requestedScope ?? null,
        session.browserSessionId ?? null,
        session.authTime ?? null,
      ],
    );
  }

  async insertRefreshToken(
    tx: Queryable,
    tokenHash: string,
    sessionId: string,
    expiresAt: Date,
  ): Promise<void> {
    await tx.query(
      'INSERT INTO refresh_tokens (token_hash, session_id, expires_at) VALUES ($1, $2, $3)',
      [tokenHash, sessionId, expiresAt],
    );
  }

  /** Reads a refresh token's state without locking (introspection). */
  findRefreshToken(tokenHash: string): Promise<RefreshTokenState | undefined> {
    return this.readRefreshToken(this.db, tokenHash, '', 0);
  }

  /**
   * Locks the refresh token row and its session row for the rest of the transaction: a
   * revocation of the session (logout, logout-all, admin) commits either before this read, and is
   * seen, or after the refresh, and covers its token.
   */
  lockRefreshToken(
    tx: Queryable,
    tokenHash: string,
    graceSeconds = 0,
  ): Promise<RefreshTokenState | undefined> {
    return this.readRefreshToken(tx, tokenHash, 'FOR UPDATE OF rt, s', graceSeconds);
  }

  /** Whether a single access token (`jti`) of this service was revoked. */
  async isTokenRevoked(jti: string): Promise<boolean> {
    const rows = await this.db.query(
      'SELECT 1 FROM revocations WHERE jti = $1 AND iss IS NULL LIMIT 1',
      [jti],
    );
    return rows.length > 0;
  }

  /**
   * The user whose live session a refresh token belongs to (spent or not), for the per-user
   * refresh limit; undefined for a token that is unknown or whose session ended.
   */
  async liveUserOfRefreshToken(tokenHash: string): Promise<string | undefined> {
    const rows = await this.db.query<{ user_id: string }>(
      `SELECT s.user_id FROM refresh_tokens rt JOIN sessions s ON s.id = rt.session_id
        WHERE rt.token_hash = $1 AND s.revoked_at IS NULL AND s.expires_at > now()`,
      [tokenHash],
    );
    return rows[0]?.user_id;
  }

  private async readRefreshToken(
    tx: Queryable,
    tokenHash: string,
    lock: '' | 'FOR UPDATE OF rt, s',
    graceSeconds: number,
  ): Promise<RefreshTokenState | undefined> {
    const rows = await tx.query<{
      session_id: string;
      user_id: string;
      used: boolean;
      token_expired: boolean;
      session_live: boolean;
      auth_time: string | number;
      expires_at: string | number;
      in_grace: boolean | null;
      client_id: string;
      requested_scope: string | null;
    }>(
      `SELECT rt.session_id, s.user_id, s.client_id, s.requested_scope,
              rt.used_at IS NOT NULL AS used,
              rt.expires_at <= now() AS token_expired,
              (s.revoked_at IS NULL AND s.expires_at > now()) AS session_live,
              COALESCE(s.auth_time, floor(extract(epoch FROM s.created_at))::bigint) AS auth_time,
              floor(extract(epoch FROM rt.expires_at))::bigint AS expires_at,
              (rt.used_at > now() - make_interval(secs => $2) AND NOT EXISTS (
                 SELECT 1 FROM refresh_tokens next
                  WHERE next.token_hash = rt.replaced_by AND next.used_at IS NOT NULL)) AS in_grace
         FROM refresh_tokens rt JOIN sessions s ON s.id = rt.session_id
        WHERE rt.token_hash = $1
        ${lock}`,
      [tokenHash, graceSeconds],
    );
    const row = rows[0];
    return (
      row && {
        sessionId: row.session_id,
        userId: row.user_id,
        used: row.used,
        tokenExpired: row.token_expired,
        sessionLive: row.session_live,
        authTime: Number(row.auth_time),
        expiresAt: Number(row.expires_at),
        inGrace: row.in_grace === true,
        clientId: row.client_id,
        requestedScope: row.requested_scope ?? undefined,
      }
    );
  }

  async markRefreshTokenUsed(tx: Queryable, tokenHash: string, replacedBy: string): Promise<void> {
    await tx.query(
      'UPDATE refresh_tokens SET used_at = now(), replaced_by = $2 WHERE token_hash = $1',
      [tokenHash, replacedBy],
    );
  }

  /**
   * Marks a live session used and slides its expiry to `now + refreshTtl`, never past
   * `maxAge` after the login (`auth_time`, else `created_at`). Returns the new expiry; undefined
   * when the session is revoked.
   */
  async slide(
    tx: Queryable,
    sessionId: string,
    refreshTtlSeconds: number,
    maxAgeSeconds: number,
  ): Promise<Date | undefined> {
    const rows = await tx.query<{ expires_at: Date | string }>(
      `UPDATE sessions
          SET last_used_at = now(),
              expires_at = LEAST(now() + make_interval(secs => $2),
                               COALESCE(to_timestamp(auth_time), created_at)
                                 + make_interval(secs => $3))
        WHERE id = $1 AND revoked_at IS NULL RETURNING expires_at`,
      [sessionId, refreshTtlSeconds, maxAgeSeconds],
    );
    return rows[0] && new Date(rows[0].expires_at);
  }

  /** Revokes one session of a user; false when it was not live (or not theirs). */
  async revoke(tx: Queryable, userId: string, sessionId: string, reason: string): Promise<boolean> {
    const rows = await tx.query(
      `UPDATE sessions SET revoked_at = now(), revoke_reason = $3
        WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL RETURNING id`,
      [sessionId, userId, reason],
    );
    return rows.length === 1;
  }

  /**
   * Revokes every live session of every user (emergency), and ends every browser session (hosted
   * login), so that no browser gets a code without a password again; returns how many sessions.
   */
  async revokeEverySession(tx: Queryable, reason: string): Promise<number> {
    await tx.query('UPDATE browser_sessions SET revoked_at = now() WHERE revoked_at IS NULL');
    const rows = await tx.query(
      `UPDATE sessions SET revoked_at = now(), revoke_reason = $1 WHERE revoked_at IS NULL RETURNING id`,
      [reason],
    );
    return rows.length;
  }

  /** Revokes every live session of a user; returns their ids. */
  async revokeAllOfUser(tx: Queryable, userId: string, reason: string): Promise<string[]> {
    const rows = await tx.query<{ id: string }>(
      `UPDATE sessions SET revoked_at = now(), revoke_reason = $2
        WHERE user_id = $1 AND revoked_at IS NULL RETURNING id`,
      [userId, reason],
    );
    return rows.map((r) => r.id);
  }

  /** The user's live sessions, most recently used first. */
  async listLive(userId: string): Promise<SessionView[]> {
    const rows = await this.db.query<{
      id: string;
      created_at: Date | string;
      last_used_at: Date | string;
      user_agent: string | null;
      ip: string | null;
    }>(
      `SELECT id, created_at, last_used_at, user_agent, ip FROM sessions
        WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > now()
        ORDER BY last_used_at DESC, created_at DESC`,
      [userId],
    );
    return rows.map((r) => ({
      sid: r.id,
      createdAt: new Date(r.created_at),
      lastUsedAt: new Date(r.last_used_at),
      userAgent: r.user_agent,
      ip: r.ip,
    }));
  }

  /** Revokes every live session of a user but one; returns the revoked ids. */
  async revokeOthers(
    tx: Queryable,
    userId: string,
    keep: string,
    reason: string,
  ): Promise<string[]> {
    const rows = await tx.query<{ id: string }>(
      `UPDATE sessions SET revoked_at = now(), revoke_reason = $3
        WHERE user_id = $1 AND id <> $2 AND revoked_at IS NULL RETURNING id`,
      [userId, keep, reason],
    );
    return rows.map((r) => r.id);
  }

  async state(sessionId: string): Promise<SessionState | undefined> {
    const rows = await this.db.query<{
      user_id: string;
      revoked: boolean;
      tokens_revoked_before: string | number;
    }>(
      `SELECT s.user_id, (s.revoked_at IS NOT NULL OR u.disabled_at IS NOT NULL) AS revoked,
              GREATEST(u.tokens_revoked_before,
                       COALESCE((SELECT value FROM settings WHERE name = 'global_cutoff'), 0))
                AS tokens_revoked_before
         FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id = $1`,
      [sessionId],
    );
    const row = rows[0];
    return (
      row && {
        userId: row.user_id,
        revoked: row.revoked,
        tokensRevokedBefore: Number(row.tokens_revoked_before),
      }
    );
  }
}
