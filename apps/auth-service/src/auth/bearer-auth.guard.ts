import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { SessionPrincipal } from './session-principal.js';
import type { Request } from 'express';
import { AuthError } from '../errors/auth-error.js';
import { LiveAccessTokens } from './live-access-tokens.js';

const BEARER = /^Bearer +([^\s]+)\s*$/i;

/** Authenticates the auth service's own bearer routes against the database. */
@Injectable()
export class BearerAuthGuard implements CanActivate {
  constructor(private readonly tokens: LiveAccessTokens) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<Request & { user?: SessionPrincipal }>();
    const header = request.headers.authorization;
    // No header, or another scheme (Basic...): the request carries no bearer token (RFC 6750 3.1).
    if (!header || !/^\s*bearer\b/i.test(header)) {
      throw new AuthError('TOKEN_MISSING', 'An Authorization: Bearer access token is required.');
    }
    const token = BEARER.exec(header)?.[1];
    if (!token) {
      throw new AuthError('TOKEN_MALFORMED', 'The Authorization header must be "Bearer <token>".');
    }
    request.user = await this.tokens.check(token);
    return true;
  }
}
