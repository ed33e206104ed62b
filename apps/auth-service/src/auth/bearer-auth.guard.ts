import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { GuardError, TokenVerifier, type Principal } from '@tokenfence/revocation-guard';
import type { Request } from 'express';
import { AUTH_CONFIG, type AuthConfig } from '../config/auth-config.js';
import { AuthError } from '../errors/auth-error.js';
import { SigningKeys } from '../keys/signing-keys.js';
import { SessionsRepository } from '../sessions/sessions.repository.js';

const BEARER = /^Bearer +([^\s]+)\s*$/i;

/**
 * Authenticates the auth service's own bearer routes. The database is the source of truth
 * here, so besides verifying the token it checks that the session and user cutoff still allow it.
 */
@Injectable()
export class BearerAuthGuard implements CanActivate {
  private verifier: TokenVerifier | undefined;

  constructor(
    @Inject(AUTH_CONFIG) private readonly config: AuthConfig,
    private readonly keys: SigningKeys,
    private readonly sessions: SessionsRepository,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<Request & { user?: Principal }>();
    request.user = await this.authenticate(request.headers.authorization);
    return true;
  }

  private async authenticate(header: string | undefined): Promise<Principal> {
    if (!header)
      throw new AuthError('TOKEN_MISSING', 'An Authorization: Bearer access token is required.');
    const token = BEARER.exec(header)?.[1];
    if (!token) {
      throw new AuthError('TOKEN_MALFORMED', 'The Authorization header must be "Bearer <token>".');
    }
    let principal: Principal;
    try {
      principal = await this.tokenVerifier().verify(token);
    } catch (err) {
      if (err instanceof GuardError && err.status === 401) {
        throw new AuthError(err.code as 'TOKEN_MALFORMED', err.message);
      }
      throw err;
    }
    const session = await this.sessions.state(principal.sid);
    if (
      !session ||
      session.userId !== principal.sub ||
      session.revoked ||
      principal.iat <= session.tokensRevokedBefore
    ) {
      throw new AuthError('TOKEN_REVOKED', 'The access token has been revoked.');
    }
    return principal;
  }

  private tokenVerifier(): TokenVerifier {
    this.verifier ??= new TokenVerifier({
      issuer: this.config.issuer,
      audience: this.config.audience,
      algorithms: [this.config.signingAlgorithm],
      clockToleranceSeconds: 5,
      keys: this.keys.verificationKeys(),
    });
    return this.verifier;
  }
}
