import { Inject, Injectable } from '@nestjs/common';
import {
  GuardError,
  isTokenErrorCode,
  TokenVerifier,
  type Principal,
} from '@tokenfence/revocation-guard';
import type { SessionPrincipal } from './session-principal.js';
import { AUTH_CONFIG, type AuthConfig } from '../config/auth-config.js';
import { DATABASE, type Database } from '../database/database.js';
import { AuthError } from '../errors/auth-error.js';
import { ClientAuthenticator } from '../oauth/client-authenticator.js';
import { ClientCutoffs } from '../oauth/client-cutoffs.js';
import { SigningKeys } from '../keys/signing-keys.js';
import { SessionsRepository } from '../sessions/sessions.repository.js';

/**
 * The auth service's own check of an access token: signature and claims with the guard's
 * verifier, then the database as the source of truth (session, user and global cutoffs, a
 * disabled user, a single revoked token).
 */
@Injectable()
export class LiveAccessTokens {
  private readonly verifier: TokenVerifier;

  constructor(
    @Inject(AUTH_CONFIG) config: AuthConfig,
    @Inject(DATABASE) private readonly db: Database,
    keys: SigningKeys,
    private readonly sessions: SessionsRepository,
    private readonly clients: ClientAuthenticator,
    private readonly cutoffs: ClientCutoffs,
  ) {
    this.verifier = new TokenVerifier({
      issuer: config.issuer,
      audience: config.audience,
      algorithms: [config.signingAlgorithm],
      clockToleranceSeconds: 5,
      keys: keys.verificationKeys(),
    });
  }

  /**
   * The principal of a live token of a user's session, or an {@link AuthError} with the token
   * error's code: what the service's own bearer routes accept (a client's token has no session).
   */
  async check(token: string): Promise<SessionPrincipal> {
    return this.checkSession(await this.verify(token));
  }

  /**
   * A live token of a session or of a client (client credentials: `sub` = `client_id`, no
   * `sid`), as introspection and revocation see them.
   */
  async checkAny(token: string): Promise<Principal> {
    const principal = await this.verify(token);
    if (principal.kind !== 'client') return this.checkSession(principal);
    const client = this.clients.find(principal.sub);
    if (principal.jti === undefined || !client?.grantTypes.includes('client_credentials')) {
      throw new AuthError(
        'TOKEN_CLAIMS_INVALID',
        'The access token is not a client token of ours.',
      );
    }
    if (
      principal.iat <= (await this.cutoffs.current(this.db, principal.sub)) ||
      (await this.sessions.isTokenRevoked(principal.jti))
    ) {
      throw new AuthError('TOKEN_REVOKED', 'The access token has been revoked.');
    }
    return principal;
  }

  private async verify(token: string): Promise<Principal> {
    try {
      return await this.verifier.verify(token);
    } catch (err) {
      if (err instanceof GuardError && isTokenErrorCode(err.code)) {
        throw new AuthError(err.code, err.message);
      }
      throw err;
    }
  }

  private async checkSession(principal: Principal): Promise<SessionPrincipal> {
    // The guard accepts tokens without sid or jti (other issuers' clients); this service issues
    // none to users, so one here was not minted by it as it mints tokens.
    if (!isSessionPrincipal(principal)) {
      throw new AuthError('TOKEN_CLAIMS_INVALID', 'The access token lacks a sid or jti.');
    }
    const session = await this.sessions.state(principal.sid);
    if (
      !session ||
      session.userId !== principal.sub ||
      session.revoked ||
      principal.iat <= session.tokensRevokedBefore ||
      (await this.sessions.isTokenRevoked(principal.jti))
    ) {
      throw new AuthError('TOKEN_REVOKED', 'The access token has been revoked.');
    }
    return principal;
  }
}

const isSessionPrincipal = (principal: Principal): principal is SessionPrincipal =>
  principal.sid !== undefined && principal.jti !== undefined;
