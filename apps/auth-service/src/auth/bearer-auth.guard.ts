import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { Principal } from '@tokenfence/revocation-guard';
import type { Request } from 'express';
import { AUTH_CONFIG, type AuthConfig } from '../config/auth-config.js';
import { AuthError } from '../errors/auth-error.js';
import { LiveAccessTokens } from './live-access-tokens.js';

const BEARER = /^Bearer +([^\s]+)\s*$/i;

/**
 * Authenticates the auth service's own bearer routes against the database: a live token of a
 * user's session. A signals hub has no users, and serves only the admin routes, to a client's
 * own token (client credentials, with the `admin` scope).
 */
@Injectable()
export class BearerAuthGuard implements CanActivate {
  private readonly acceptsClientTokens: boolean;

  constructor(
    private readonly tokens: LiveAccessTokens,
    @Inject(AUTH_CONFIG) config: AuthConfig,
  ) {
    this.acceptsClientTokens = config.mode === 'signals-hub';
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<Request & { user?: Principal }>();
    const header = request.headers.authorization;
    // No header, or another scheme (Basic...): the request carries no bearer token (RFC 6750 3.1).
    if (!header || !/^\s*bearer\b/i.test(header)) {
      throw new AuthError('TOKEN_MISSING', 'An Authorization: Bearer access token is required.');
    }
    const token = BEARER.exec(header)?.[1];
    if (!token) {
      throw new AuthError('TOKEN_MALFORMED', 'The Authorization header must be "Bearer <token>".');
    }
    request.user = this.acceptsClientTokens
      ? await this.tokens.checkAny(token)
      : await this.tokens.check(token);
    return true;
  }
}
