import { randomUUID } from 'node:crypto';
import { Inject, Injectable, type HttpException } from '@nestjs/common';
import type { SessionPrincipal } from './session-principal.js';
import { AUTH_CONFIG, type AuthConfig } from '../config/auth-config.js';
import { DATABASE, type Database, type Queryable } from '../database/database.js';
import { AuthError } from '../errors/auth-error.js';
import { hashRefreshToken, TokenIssuer, type IssuedTokens } from '../keys/token-issuer.js';
import { RevocationRecorder } from '../revocation/revocation-recorder.js';
import { SessionsRepository } from '../sessions/sessions.repository.js';
import { SessionsService } from '../sessions/sessions.service.js';
import { LoginLockout } from '../lockout/login-lockout.js';
import { AuthMetrics, type LoginOutcome } from '../metrics/auth-metrics.js';
import { PasswordHasher } from '../users/password-hasher.js';
import { UsersRepository, type UserRecord } from '../users/users.repository.js';
import type { AuthenticatedClient } from '../oauth/client-authenticator.js';
import { ClientAuthenticator } from '../oauth/client-authenticator.js';
import { BrowserSessions } from '../oauth/browser-sessions.js';
import {
  grantedScope,
  parseScope,
  scopesNotAllowed,
  type AllowedScopes,
} from '../oauth/client-scopes.js';
import { oauthError } from '../oauth/oauth-error.js';
import { CLOCK, type Clock } from '../time/clock.js';
import type { ClientInfo } from './client-info.js';

/** What a new session is for (see {@link AuthService.openSession}). */
export interface OpenSession {
  readonly device: ClientInfo;
  readonly clientId: string;
  readonly allowedScopes: AllowedScopes;
  /** The scopes asked for; undefined for all the client may have. */
  readonly requestedScopes: readonly string[] | undefined;
  /** The browser session (hosted login) an authorization code came from. */
  readonly browserSessionId?: string;
  /** When the user authenticated (seconds), if before now. */
  readonly authTime?: number;
}

/** The client a login is for, and the scopes it asks for (undefined: all it may have). */
export interface LoginGrant {
  readonly client: AuthenticatedClient;
  readonly requestedScopes: readonly string[] | undefined;
}

type RefreshOutcome =
  | { readonly kind: 'rotated'; readonly tokens: IssuedTokens }
  | { readonly kind: 'refused'; readonly error: HttpException }
  | { readonly kind: 'reused' }
  | { readonly kind: 'invalid' };

@Injectable()
export class AuthService {
  constructor(
    @Inject(AUTH_CONFIG) private readonly config: AuthConfig,
    @Inject(DATABASE) private readonly db: Database,
    private readonly users: UsersRepository,
    private readonly sessions: SessionsRepository,
    private readonly issuer: TokenIssuer,
    private readonly recorder: RevocationRecorder,
    private readonly hasher: PasswordHasher,
    private readonly sessionsService: SessionsService,
    private readonly lockout: LoginLockout,
    private readonly clients: ClientAuthenticator,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly metrics: AuthMetrics,
    private readonly browserSessions: BrowserSessions,
  ) {}

  async register(username: string, password: string): Promise<{ id: string }> {
    const id = randomUUID();
    const passwordHash = await this.hasher.hash(password);
    const inserted = await this.users.insert({
      id,
      username,
      passwordHash,
      scope: this.config.defaultScope,
    });
    if (!inserted) throw new AuthError('USERNAME_TAKEN', 'This username is already taken.');
    return { id };
  }

  /**
   * Checks the password; a locked username is refused before it is checked (429 LOGIN_LOCKED),
   * whether or not the password is right. A failure counts towards the lock the same way whether
   * or not the user exists; a success clears the count.
   */
  async login(
    username: string,
    password: string,
    device: ClientInfo,
    grant: LoginGrant,
  ): Promise<IssuedTokens> {
    return this.countedLogin(async () => {
      // Checked before anything about the user: the answer cannot depend on who exists.
      const refused = scopesNotAllowed(grant.requestedScopes ?? [], grant.client.allowedScopes);
      if (refused.length > 0) {
        throw new AuthError(
          'SCOPE_NOT_ALLOWED',
          `Client ${grant.client.clientId} may not request: ${refused.join(' ')}.`,
        );
      }
      const user = await this.checkPassword(username, password);
      return this.db.transaction(async (tx) => {
        const opened = await this.openSession(tx, user, {
          device,
          clientId: grant.client.clientId,
          allowedScopes: grant.client.allowedScopes,
          requestedScopes: grant.requestedScopes,
        });
        return opened.tokens;
      });
    });
  }

  /**
   * The hosted login page's sign-in: the very password check of {@link login} (lockout, disabled
   * users, metrics), without issuing anything. Returns the user signed in.
   */
  signIn(username: string, password: string): Promise<UserRecord> {
    return this.countedLogin(() => this.checkPassword(username, password));
  }

  /** Runs a login attempt and counts its outcome in the login metric. */
  private async countedLogin<T>(attempt: () => Promise<T>): Promise<T> {
    try {
      const result = await attempt();
      this.metrics.logins.inc({ outcome: 'success' });
      return result;
    } catch (err) {
      this.metrics.logins.inc({ outcome: loginOutcomeOf(err) });
      throw err;
    }
  }

  /**
   * The one password check: refused at once while the username is locked; a wrong password, an
   * unknown or a disabled user count towards the lock alike (401 INVALID_CREDENTIALS); a success
   * clears the count.
   */
  private async checkPassword(username: string, password: string): Promise<UserRecord> {
    await this.lockout.assertUnlocked(username);
    const user = await this.users.findByUsername(username);
    const ok = await this.hasher.verify(user?.passwordHash, password);
    if (!user || !ok || user.disabled) {
      await this.lockout.recordFailure(username);
      throw new AuthError('INVALID_CREDENTIALS', 'The username or password is incorrect.');
    }
    // The user's own name: only the account that authenticated gets its count cleared.
    await this.lockout.recordSuccess(user.username);
    return user;
  }

  /**
   * In a unit of work: opens a session for a user who authenticated (a login, or an authorization
   * code), stores its refresh token and signs the pair. `authTime` (seconds) is when the user
   * authenticated, now by default; the session never outlives `sessionMaxAgeSeconds` from it.
   */
  async openSession(
    tx: Queryable,
    user: Pick<UserRecord, 'id' | 'scope' | 'tokensRevokedBefore'>,
    session: OpenSession,
  ): Promise<{ sessionId: string; tokens: IssuedTokens }> {
    const sessionId = randomUUID();
    const nowMs = this.clock.nowMs();
    const authTime = session.authTime ?? Math.floor(nowMs / 1000);
    const capAt = authTime + this.config.sessionMaxAgeSeconds;
    const sessionExpiresAt = new Date(
      Math.min(nowMs + this.config.refreshTokenTtlSeconds * 1000, capAt * 1000),
    );
    const refresh = this.issuer.newRefreshToken(sessionExpiresAt);
    await this.sessions.insert(tx, {
      id: sessionId,
      userId: user.id,
      expiresAt: sessionExpiresAt,
      userAgent: session.device.userAgent,
      ip: session.device.ip,
      clientId: session.clientId,
      requestedScope: session.requestedScopes?.join(' '),
      browserSessionId: session.browserSessionId,
      authTime: session.authTime,
    });
    await this.sessions.insertRefreshToken(tx, refresh.hash, sessionId, refresh.expiresAt);
    const tokens = await this.issuer.pair(
      {
        userId: user.id,
        sessionId,
        scope: grantedScope(user.scope, session.allowedScopes, session.requestedScopes),
        clientId: session.clientId,
        tokensRevokedBefore: user.tokensRevokedBefore,
        authTime,
        sessionCapAt: capAt,
      },
      refresh.token,
    );
    return { sessionId, tokens };
  }

  /**
   * Spends a refresh token for a new pair. `client` is the client the request authenticated as
   * (`undefined`: it presented no credentials); the token's own client must have authenticated
   * if it is confidential (RFC 6749 section 6), before anything is spent or counted as reuse.
   * A token spent twice was stolen or replayed: the whole session is revoked and broadcast, and
   * the caller gets 401.
   */
  async refresh(
    refreshToken: string,
    client: AuthenticatedClient | undefined,
    narrowTo?: readonly string[],
  ): Promise<IssuedTokens> {
    const tokenHash = hashRefreshToken(refreshToken);
    const outcome = await this.recorder.commit<RefreshOutcome>(async (tx, revoke) => {
      const state = await this.sessions.lockRefreshToken(
        tx,
        tokenHash,
        this.config.refreshGraceSeconds,
      );
      if (!state) return { kind: 'invalid' };
      const refusal = this.clients.refusalForGrant(client, state.clientId);
      if (refusal) return { kind: 'refused', error: refusal };
      // Two tabs refreshed at once: the same successor again, not a reuse.
      const twoTabs = state.used && state.inGrace && state.sessionLive;
      if (state.used && !twoTabs) {
        if (await this.sessions.revoke(tx, state.userId, state.sessionId, 'refresh-reuse')) {
          await revoke({
            userId: state.userId,
            target: { scope: 'session', sid: state.sessionId },
            reason: 'refresh-reuse',
            initiatedBy: 'system',
          });
        }
        return { kind: 'reused' };
      }
      if (!twoTabs && (state.tokenExpired || !state.sessionLive)) return { kind: 'invalid' };
      const user = await this.users.lockForIssuance(tx, state.userId);
      if (!user || user.disabled) return { kind: 'invalid' };
      // A client removed from the configuration, or without the grant, refreshes nothing.
      const sessionClient = this.clients.find(state.clientId);
      if (!sessionClient?.grantTypes.includes('refresh_token')) return { kind: 'invalid' };
      const granted = grantedScope(
        user.scope,
        sessionClient.allowedScopes,
        state.requestedScope === undefined ? undefined : parseScope(state.requestedScope),
      );
      // RFC 6749 section 6: a narrower scope for this access token, never a wider one.
      const beyond = scopesNotAllowed(narrowTo ?? [], parseScope(granted));
      if (beyond.length > 0) {
        return {
          kind: 'refused',
          error: oauthError(400, 'invalid_scope', `Not granted: ${beyond.join(' ')}.`),
        };
      }
      let successor: string;
      if (twoTabs) {
        successor = this.issuer.successorOf(refreshToken, new Date(state.expiresAt * 1000)).token;
      } else {
        // Sliding session: each refresh extends it, never past the absolute limit.
        const expiresAt = await this.sessions.slide(
          tx,
          state.sessionId,
          this.config.refreshTokenTtlSeconds,
          this.config.sessionMaxAgeSeconds,
        );
        // Revoked since the token was read (it cannot be, with the row locked: belt and braces).
        if (!expiresAt) return { kind: 'invalid' };
        const next = this.issuer.successorOf(refreshToken, expiresAt);
        await this.sessions.markRefreshTokenUsed(tx, tokenHash, next.hash);
        await this.sessions.insertRefreshToken(tx, next.hash, state.sessionId, next.expiresAt);
        successor = next.token;
      }
      const tokens = await this.issuer.pair(
        {
          userId: user.id,
          sessionId: state.sessionId,
          scope: grantedScope(granted, undefined, narrowTo),
          clientId: sessionClient.clientId,
          tokensRevokedBefore: user.tokensRevokedBefore,
          authTime: state.authTime,
          sessionCapAt: state.authTime + this.config.sessionMaxAgeSeconds,
        },
        successor,
      );
      return { kind: 'rotated', tokens };
    });
    switch (outcome.kind) {
      case 'rotated':
        return outcome.tokens;
      case 'refused':
        throw outcome.error;
      case 'reused':
        throw new AuthError(
          'REFRESH_TOKEN_REUSED',
          'This refresh token was already used; the session has been revoked.',
        );
      case 'invalid':
        throw new AuthError('INVALID_REFRESH_TOKEN', 'The refresh token is invalid or expired.');
    }
  }

  /**
   * Changes the password after checking the current one. Every other session of the user is
   * revoked and broadcast, every browser session (hosted login) but the one the caller's session
   * came from ends; the caller's session continues.
   */
  async changePassword(principal: SessionPrincipal, current: string, next: string): Promise<void> {
    const user = await this.users.findById(principal.sub);
    if (!user || !(await this.hasher.verify(user.passwordHash, current))) {
      throw new AuthError('INVALID_CREDENTIALS', 'The current password is incorrect.');
    }
    const passwordHash = await this.hasher.hash(next);
    await this.recorder.commit(async (tx, revoke) => {
      // Browser sessions, sessions, then the user row: the order a code exchange and a refresh
      // lock them in (no deadlock, and nothing they open in between survives).
      await this.browserSessions.endAllOfUser(tx, user.id, principal.sid);
      const others = await this.sessions.revokeOthers(
        tx,
        user.id,
        principal.sid,
        'password-change',
      );
      await this.users.updatePasswordHash(tx, user.id, passwordHash);
      for (const sid of others) {
        await revoke({
          userId: user.id,
          target: { scope: 'session', sid },
          reason: 'password-change',
        });
      }
    });
  }

  /** Revokes every session of the caller's user, and every access token issued up to now. */
  async logoutAll(principal: SessionPrincipal): Promise<void> {
    await this.recorder.commit((tx, revoke) =>
      this.sessionsService.revokeEveryToken(tx, revoke, {
        userId: principal.sub,
        reason: 'logout-all',
      }),
    );
  }
}

/** The metrics outcome of a failed login. */
function loginOutcomeOf(err: unknown): LoginOutcome {
  if (err instanceof AuthError && err.code === 'INVALID_CREDENTIALS') return 'invalid_credentials';
  if (err instanceof AuthError && err.code === 'LOGIN_LOCKED') return 'locked';
  return 'refused';
}
