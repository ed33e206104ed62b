import { SetMetadata } from '@nestjs/common';
import type { StalePolicy } from '../core/stale-policy.js';

export const REQUIRED_SCOPES_KEY = 'tokenfence:requiredScopes';
export const MAX_LOGIN_AGE_KEY = 'tokenfence:maxLoginAgeSeconds';
export const ROUTE_FRESHNESS_KEY = 'tokenfence:routeFreshness';

/** The token must carry every one of these scopes; otherwise 403 `INSUFFICIENT_SCOPE`. */
export const RequireScopes = (...scopes: string[]): MethodDecorator & ClassDecorator =>
  SetMetadata(REQUIRED_SCOPES_KEY, scopes);

/**
 * For sensitive routes: the user must have logged in (`auth_time`) within `maxAgeSeconds`;
 * otherwise 403 `LOGIN_TOO_OLD`, and the client should send the user through login again.
 */
export const RequireRecentLogin = (maxAgeSeconds: number): MethodDecorator & ClassDecorator =>
  SetMetadata(MAX_LOGIN_AGE_KEY, maxAgeSeconds);

/**
 * A stricter freshness rule for this route than the module's: for example
 * `@RequireFreshness({ maxStalenessMs: 5000, stalePolicy: 'reject' })` on a payment route while
 * the rest of the service allows stale state.
 */
export const RequireFreshness = (rule: {
  maxStalenessMs: number;
  stalePolicy: StalePolicy;
}): MethodDecorator & ClassDecorator => SetMetadata(ROUTE_FRESHNESS_KEY, rule);
