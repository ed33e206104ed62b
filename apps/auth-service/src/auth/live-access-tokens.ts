import { Inject, Injectable } from '@nestjs/common';
import {
  GuardError,
  isTokenErrorCode,
  TokenVerifier,
  type Principal,
} from '@tokenfence/revocation-guard';
import type { SessionPrincipal } from './session-principal.js';
import { AUTH_CONFIG, type AuthConfig } from '../config/auth-config.js';
import { AuthError } from '../errors/auth-error.js';
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
    keys: SigningKeys,
    private readonly sessions: SessionsRepository,
  ) {
    this.verifier = new TokenVerifier({
      issuer: config.issuer,
      audience: config.audience,
      algorithms: [config.signingAlgorithm],
      clockToleranceSeconds: 5,
      keys: keys.verificationKeys(),
    });
  }

  /** The principal of a live token, or an {@link AuthError} with the token error's code. */
  async check(token: string): Promise<SessionPrincipal> {
    let principal: Principal;
    try {
      principal = await this.verifier.verify(token);
    } catch (err) {
      if (err instanceof GuardError && isTokenErrorCode(err.code)) {
        throw new AuthError(err.code, err.message);
      }
      throw err;
    }
    // The guard accepts tokens without sid or jti (other issuers' clients); this service issues
    // none, so one here was not minted by it as it mints tokens.
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
