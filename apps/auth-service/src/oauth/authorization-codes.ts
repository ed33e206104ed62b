import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { Inject, Injectable, type HttpException } from '@nestjs/common';
import { AuthService } from '../auth/auth.service.js';
import type { ClientInfo } from '../auth/client-info.js';
import { DATABASE, type Database } from '../database/database.js';
import type { IssuedTokens } from '../keys/token-issuer.js';
import { RevocationRecorder } from '../revocation/revocation-recorder.js';
import { SessionsRepository } from '../sessions/sessions.repository.js';
import { CLOCK, type Clock } from '../time/clock.js';
import { UsersRepository } from '../users/users.repository.js';
import { isPkceValue, s256Challenge } from './authorization-request.js';
import { BrowserSessions } from './browser-sessions.js';
import { ClientAuthenticator, type AuthenticatedClient } from './client-authenticator.js';
import { parseScope } from './client-scopes.js';
import { oauthError } from './oauth-error.js';

/** How long a code may be exchanged (RFC 6749 4.1.2: short; ten minutes at most). */
export const CODE_TTL_SECONDS = 60;

/** Codes that expired longer ago than this are deleted when a new one is stored. */
const EXPIRED_CODE_KEEP_SECONDS = 3600;

/** What a new code is bound to. */
export interface NewAuthorizationCode {
  readonly clientId: string;
  readonly redirectUri: string;
  readonly codeChallenge: string;
  readonly userId: string;
  readonly browserSessionId: string;
  /** The scopes asked for; undefined for all the client may have. */
  readonly requestedScopes: readonly string[] | undefined;
  /** When the user signed in (seconds). */
  readonly authTime: number;
}

/** The token request of the authorization_code grant (RFC 6749 4.1.3, RFC 7636 4.5). */
export interface CodeExchange {
  readonly code: string;
  readonly redirectUri: string;
  readonly codeVerifier: string;
  /** The device the session is opened for. */
  readonly device?: ClientInfo;
}

interface CodeRow {
  client_id: string;
  redirect_uri: string;
  code_challenge: string;
  user_id: string;
  browser_session_id: string | null;
  requested_scope: string | null;
  auth_time: string | number;
  expired: boolean;
  used: boolean;
  session_id: string | null;
}

type ExchangeOutcome =
  | { readonly kind: 'issued'; readonly tokens: IssuedTokens }
  | { readonly kind: 'refused'; readonly error: HttpException };

const hashOf = (code: string): string => createHash('sha256').update(code).digest('base64url');

const sameText = (a: string, b: string): boolean => {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
};

const invalidGrant = (description: string): ExchangeOutcome => ({
  kind: 'refused',
  error: oauthError(400, 'invalid_grant', description),
});

/**
 * One-time authorization codes (RFC 6749 4.1, RFC 7636): stored as their SHA-256, bound to a
 * client, a redirect URI and a PKCE challenge, exchanged once for a session and its pair.
 */
@Injectable()
export class AuthorizationCodes {
  constructor(
    @Inject(DATABASE) private readonly db: Database,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly recorder: RevocationRecorder,
    private readonly clients: ClientAuthenticator,
    private readonly users: UsersRepository,
    private readonly sessions: SessionsRepository,
    private readonly browserSessions: BrowserSessions,
    private readonly auth: AuthService,
  ) {}

  /** A new code (32 random bytes, base64url); only its SHA-256 is stored. */
  async issue(code: NewAuthorizationCode): Promise<string> {
    const value = randomBytes(32).toString('base64url');
    const nowMs = this.clock.nowMs();
    await this.db.transaction(async (tx) => {
      // Opportunistic clean-up: nothing refers to a code long expired.
      await tx.query('DELETE FROM authorization_codes WHERE expires_at < $1', [
        new Date(nowMs - EXPIRED_CODE_KEEP_SECONDS * 1000),
      ]);
      await tx.query(
        `INSERT INTO authorization_codes
           (code_hash, client_id, redirect_uri, code_challenge, user_id, browser_session_id,
            requested_scope, auth_time, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
        [
          hashOf(value),
          code.clientId,
          code.redirectUri,
          code.codeChallenge,
          code.userId,
          code.browserSessionId,
          code.requestedScopes?.join(' ') ?? null,
          code.authTime,
          new Date(nowMs),
          new Date(nowMs + CODE_TTL_SECONDS * 1000),
        ],
      );
    });
    return value;
  }

  /**
   * Spends a code for a session and its pair, in one transaction with the code's row locked.
   * `client` is the client the token request authenticated as (`undefined`: none presented); a
   * confidential client must authenticate, a public one names itself. Unknown, expired, another
   * redirect URI or a wrong verifier: 400 invalid_grant, and nothing is spent. A code spent
   * before was stolen or replayed: the session it was exchanged for is revoked and broadcast
   * (`authorization-code-reuse`), and the answer is invalid_grant.
   */
  async exchange(
    request: CodeExchange,
    client: AuthenticatedClient | undefined,
  ): Promise<IssuedTokens> {
    const nowMs = this.clock.nowMs();
    const outcome = await this.recorder.commit<ExchangeOutcome>(async (tx, revoke) => {
      const rows = await tx.query<CodeRow>(
        `SELECT client_id, redirect_uri, code_challenge, user_id, browser_session_id,
                requested_scope, auth_time, expires_at <= $2 AS expired, used_at IS NOT NULL AS used,
                session_id
           FROM authorization_codes WHERE code_hash = $1 FOR UPDATE`,
        [hashOf(request.code), new Date(nowMs)],
      );
      const row = rows[0];
      if (!row) return invalidGrant('The authorization code is invalid or expired.');
      const refusal = this.clients.refusalForGrant(client, row.client_id);
      if (refusal) return { kind: 'refused', error: refusal };
      // RFC 6749 4.1.3: a public client names itself (client_id) when it does not authenticate.
      if (client === undefined) {
        return {
          kind: 'refused',
          error: oauthError(401, 'invalid_client', 'The client must identify itself (client_id).'),
        };
      }
      if (row.used) {
        // RFC 6749 4.1.2: a code used twice revokes what it issued.
        if (
          row.session_id !== null &&
          (await this.sessions.revoke(tx, row.user_id, row.session_id, 'authorization-code-reuse'))
        ) {
          await revoke({
            userId: row.user_id,
            target: { scope: 'session', sid: row.session_id },
            reason: 'authorization-code-reuse',
            initiatedBy: 'system',
          });
        }
        return invalidGrant('The authorization code was already used; its session is revoked.');
      }
      if (row.expired) return invalidGrant('The authorization code is invalid or expired.');
      if (request.redirectUri !== row.redirect_uri) {
        return invalidGrant('redirect_uri is not the one of the authorization request.');
      }
      if (
        !isPkceValue(request.codeVerifier) ||
        !sameText(s256Challenge(request.codeVerifier), row.code_challenge)
      ) {
        return invalidGrant('The code_verifier does not match the code_challenge.');
      }
      // Signed out (or everywhere) since the code was issued: it issues nothing. Locked before
      // the user row, the order every sign-out locks them in.
      if (
        row.browser_session_id !== null &&
        !(await this.browserSessions.isLive(tx, row.browser_session_id))
      ) {
        return invalidGrant('The sign-in the code came from has ended.');
      }
      const user = await this.users.lockForIssuance(tx, row.user_id);
      if (!user || user.disabled) return invalidGrant('The user can no longer sign in.');
      const sessionClient = this.clients.find(row.client_id);
      if (!sessionClient) return invalidGrant('The client is no longer configured.');
      const opened = await this.auth.openSession(tx, user, {
        device: request.device ?? { userAgent: undefined, ip: undefined },
        clientId: sessionClient.clientId,
        allowedScopes: sessionClient.allowedScopes,
        requestedScopes: row.requested_scope === null ? undefined : parseScope(row.requested_scope),
        browserSessionId: row.browser_session_id ?? undefined,
        authTime: Number(row.auth_time),
      });
      await tx.query(
        `UPDATE authorization_codes SET used_at = $2, session_id = $3 WHERE code_hash = $1`,
        [hashOf(request.code), new Date(nowMs), opened.sessionId],
      );
      return { kind: 'issued', tokens: opened.tokens };
    });
    if (outcome.kind === 'refused') throw outcome.error;
    return outcome.tokens;
  }
}
