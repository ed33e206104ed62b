import {
  Inject,
  Injectable,
  SetMetadata,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Principal } from '@tokenfence/revocation-guard';
import type { Request } from 'express';
import { AUTH_CONFIG, type AuthConfig, type RateLimitedAction } from '../config/auth-config.js';
import { AuthError } from '../errors/auth-error.js';
import { hashRefreshToken } from '../keys/token-issuer.js';
import { SessionsRepository } from '../sessions/sessions.repository.js';
import { usernameKey } from '../users/username.js';
import { addressBucket } from './client-address.js';
import { RATE_LIMIT_STORE, type RateLimitRule, type RateLimitStore } from './rate-limit-store.js';

const RATE_LIMIT_KEY = 'tokenfence:rateLimit';

/**
 * Limits a route per client address ({@link addressBucket}: IPv6 per /64) and per user: the
 * username in the body for login and registration, the refresh token's session's user for
 * refresh, the authenticated caller for a password change (so it goes after BearerAuthGuard).
 */
export const RateLimit = (action: RateLimitedAction): MethodDecorator =>
  SetMetadata(RATE_LIMIT_KEY, action);

type LimitedRequest = Request & { user?: Principal };

@Injectable()
export class RateLimitGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    @Inject(AUTH_CONFIG) private readonly config: AuthConfig,
    @Inject(RATE_LIMIT_STORE) private readonly store: RateLimitStore,
    private readonly sessions: SessionsRepository,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const action = this.reflector.get<RateLimitedAction | undefined>(
      RATE_LIMIT_KEY,
      context.getHandler(),
    );
    if (!action) return true;
    const rules = this.config.rateLimits[action];
    const request = context.switchToHttp().getRequest<LimitedRequest>();
    const checks: [string, RateLimitRule][] = [
      [`${action}:ip:${addressBucket(request.ip)}`, rules.perIp],
    ];
    if (rules.perUsername) {
      const user = await this.userOf(action, request);
      if (user !== undefined) checks.push([`${action}:user:${user}`, rules.perUsername]);
    }
    const waits = await Promise.all(checks.map(([key, rule]) => this.store.hit(key, rule)));
    const waitMs = Math.max(...waits);
    if (waitMs === 0) return true;
    throw new AuthError(
      'RATE_LIMITED',
      'Too many attempts; retry later.',
      undefined,
      Math.ceil(waitMs / 1000),
    );
  }

  /**
   * Whom the per-user limit counts, or undefined. A refresh token that is unknown, or whose
   * session ended, counts per address only: its answer is the same as without the limit, and
   * an old token cannot spend its user's budget.
   */
  private async userOf(
    action: RateLimitedAction,
    request: LimitedRequest,
  ): Promise<string | undefined> {
    const body = request.body as Record<string, unknown> | undefined;
    switch (action) {
      case 'login':
      case 'register': {
        const username = body?.username;
        return typeof username === 'string' && username.length <= 64
          ? usernameKey(username)
          : undefined;
      }
      case 'token':
      case 'refresh': {
        if (action === 'token' && body?.grant_type !== 'refresh_token') return undefined;
        const token = body?.refresh_token;
        if (typeof token !== 'string' || token.length === 0 || token.length > 512) return undefined;
        return this.sessions.liveUserOfRefreshToken(hashRefreshToken(token));
      }
      case 'password':
        return request.user?.sub;
      case 'revoke':
      case 'introspect':
      case 'signals':
        return undefined;
    }
  }
}
