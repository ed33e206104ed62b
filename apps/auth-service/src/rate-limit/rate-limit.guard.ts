import {
  Inject,
  Injectable,
  SetMetadata,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { AUTH_CONFIG, type AuthConfig, type RateLimitedAction } from '../config/auth-config.js';
import { AuthError } from '../errors/auth-error.js';
import { usernameKey } from '../users/username.js';
import { addressBucket } from './client-address.js';
import { RATE_LIMIT_STORE, type RateLimitRule, type RateLimitStore } from './rate-limit-store.js';

const RATE_LIMIT_KEY = 'tokenfence:rateLimit';

/**
 * Limits a route per client address ({@link addressBucket}: IPv6 per /64) and, when the body
 * names one, per username.
 */
export const RateLimit = (action: RateLimitedAction): MethodDecorator =>
  SetMetadata(RATE_LIMIT_KEY, action);

@Injectable()
export class RateLimitGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    @Inject(AUTH_CONFIG) private readonly config: AuthConfig,
    @Inject(RATE_LIMIT_STORE) private readonly store: RateLimitStore,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const action = this.reflector.get<RateLimitedAction | undefined>(
      RATE_LIMIT_KEY,
      context.getHandler(),
    );
    if (!action) return true;
    const rules = this.config.rateLimits[action];
    const request = context.switchToHttp().getRequest<Request>();
    const body = request.body as { username?: unknown } | undefined;
    const checks: [string, RateLimitRule][] = [
      [`${action}:ip:${addressBucket(request.ip)}`, rules.perIp],
    ];
    if (rules.perUsername && typeof body?.username === 'string' && body.username.length <= 64) {
      checks.push([`${action}:user:${usernameKey(body.username)}`, rules.perUsername]);
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
}
