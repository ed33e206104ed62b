import { GuardError } from './guard-error.js';
import type { Principal } from './principal.js';
import type { FreshnessRequirement } from './stale-policy.js';

/** What a route demands beyond a valid, unrevoked token. */
export interface RouteRequirements {
  /** Every one of these scopes must be in the token's `scope`. */
  readonly scopes?: readonly string[];
  /** The user must have logged in (`auth_time`) at most this many seconds ago. */
  readonly maxLoginAgeSeconds?: number;
}

/** Everything a route or message handler demands: its requirements and its freshness rule. */
export interface RouteRules extends RouteRequirements {
  /** Replaces the module's freshness rule (`@RequireFreshness`). */
  readonly freshness?: FreshnessRequirement;
}

/** Throws a 403 {@link GuardError} when the principal does not meet the route's requirements. */
export function checkRequirements(
  principal: Principal,
  requirements: RouteRequirements,
  nowMs: number,
): void {
  const required = requirements.scopes ?? [];
  const missing = required.filter((s) => !principal.scopes.includes(s));
  if (missing.length > 0) {
    throw new GuardError(
      'INSUFFICIENT_SCOPE',
      `This route needs the scope(s): ${missing.join(' ')}.`,
      {
        requiredScopes: required,
      },
    );
  }
  const maxAge = requirements.maxLoginAgeSeconds;
  if (maxAge !== undefined) {
    const authTime = principal.claims.auth_time;
    if (typeof authTime !== 'number' || nowMs / 1000 - authTime > maxAge) {
      throw new GuardError(
        'LOGIN_TOO_OLD',
        `This route needs a login within the last ${maxAge} seconds; log in again.`,
      );
    }
  }
}
