import { GuardError, tokenRevoked } from './guard-error.js';
import { IntrospectionUnavailable, type IntrospectionClient } from './introspection-client.js';
import { systemClock, type Clock } from './clock.js';
import type { GuardLogger } from './logger.js';
import type { Principal } from './principal.js';
import type { RevocationFeed } from './revocation-feed.js';
import { checkRequirements, type RouteRules } from './route-requirements.js';
import type { FreshnessRequirement } from './stale-policy.js';
import type { TokenVerifier, VerifyOptions } from './token-verifier.js';

const STALE_WARNING_INTERVAL_MS = 10_000;

/**
 * Turns an `Authorization` header into a verified, unrevoked principal, or throws a
 * {@link GuardError}. No network call: keys are cached and the denylist is in memory.
 */
export class AccessTokenAuthenticator {
  private lastStaleWarningMs = 0;
  /** Outcomes of `authenticate`: `ok` or a {@link GuardError} code. */
  readonly outcomes = new Map<string, number>();

  constructor(
    private readonly verifier: TokenVerifier,
    private readonly feed: RevocationFeed,
    readonly freshness: FreshnessRequirement,
    private readonly logger: GuardLogger,
    private readonly introspection?: IntrospectionClient,
    private readonly clock: Clock = systemClock,
    /**
     * The issuer introspection answers for (the auth service's): under the `introspect` policy,
     * a token of another issuer is refused as under `reject`. Undefined: every token is
     * introspected.
     */
    private readonly introspectedIssuer?: string,
  ) {}

  /** The time on the guard's clock (the request path uses no other), in ms. */
  nowMs(): number {
    return this.clock.nowMs();
  }

  /**
   * The one rule set of every transport (HTTP request, socket message): a usable revocation state
   * under the route's freshness rule, a valid unrevoked token, and the route's requirements.
   */
  async authorize(
    authorization: string | undefined,
    rules: RouteRules = {},
    verify: VerifyOptions = {},
  ): Promise<Principal> {
    const principal = await this.authenticate(
      authorization,
      rules.freshness ?? this.freshness,
      verify,
    );
    checkRequirements(principal, rules, this.clock.nowMs());
    return principal;
  }

  /** `verify.expiryAtMs`: see {@link TokenVerifier.verify}; revocations are checked now. */
  async authenticate(
    authorization: string | undefined,
    freshness: FreshnessRequirement = this.freshness,
    verify: VerifyOptions = {},
  ): Promise<Principal> {
    try {
      const principal = await this.authenticateOnce(authorization, freshness, verify);
      this.count('ok');
      return principal;
    } catch (err) {
      this.count(err instanceof GuardError ? err.code : 'error');
      throw err;
    }
  }

  private count(outcome: string): void {
    this.outcomes.set(outcome, (this.outcomes.get(outcome) ?? 0) + 1);
  }

  private async authenticateOnce(
    authorization: string | undefined,
    freshness: FreshnessRequirement,
    verify: VerifyOptions,
  ): Promise<Principal> {
    // No header, or another scheme (Basic, ...): no Bearer credential at all, so RFC 6750 3.1's
    // plain challenge, without an error code.
    const scheme = authorization?.trimStart().split(/\s/, 1)[0]?.toLowerCase() ?? '';
    if (authorization === undefined || scheme !== 'bearer') {
      throw new GuardError('TOKEN_MISSING', 'An Authorization: Bearer access token is required.');
    }
    // "Bearer" (any case), spaces, the token. A token with spaces inside fails the verifier's
    // compact-JWS check; no second regex scan of the whole header here.
    const token =
      authorization.slice(0, 7).toLowerCase() === 'bearer ' ? authorization.slice(7).trim() : '';
    if (token === '') {
      throw new GuardError('TOKEN_MALFORMED', 'The Authorization header must be "Bearer <token>".');
    }
    const state = this.requireUsableState(freshness);
    const principal = await this.verifier.verify(token, verify);
    // The module's verifier checks the denylist itself, before it caches; one given without it
    // is checked here.
    if (!this.verifier.checksRevocations) {
      const scope = this.feed.denylist.check(principal);
      if (scope !== undefined) throw tokenRevoked(scope);
    }
    if (state === 'introspect') {
      if (this.introspectedIssuer !== undefined && principal.iss !== this.introspectedIssuer) {
        // No introspection endpoint answers for this issuer's tokens: stale means refused.
        throw new GuardError(
          'REVOCATION_STATE_STALE',
          'This service cannot prove its revocation list is current.',
        );
      }
      await this.introspect(token);
    }
    return principal;
  }

  private async introspect(token: string): Promise<void> {
    let active: boolean;
    try {
      if (!this.introspection) throw new IntrospectionUnavailable('no introspection configured');
      active = await this.introspection.isActive(token);
    } catch (err) {
      if (!(err instanceof IntrospectionUnavailable)) throw err;
      throw new GuardError(
        'REVOCATION_STATE_STALE',
        'This service cannot prove its revocation list is current, and introspection failed.',
      );
    }
    if (!active) {
      throw new GuardError('TOKEN_REVOKED', 'The access token has been revoked (introspection).');
    }
  }

  /** Whether a principal verified earlier has been revoked since. */
  isRevoked(principal: Principal): boolean {
    return this.feed.denylist.check(principal) !== undefined;
  }

  /**
   * Throws unless the denylist is caught up and fresh enough under the stale policy. Returns
   * `introspect` when each token must also be checked with the auth service.
   */
  requireUsableState(
    freshness: FreshnessRequirement = this.freshness,
  ): 'fresh' | 'stale-allowed' | 'introspect' {
    if (!this.feed.isReady()) {
      throw new GuardError(
        'REVOCATION_STATE_NOT_READY',
        'This service has not yet caught up with the revocation feed.',
      );
    }
    const stalenessMs = this.feed.stalenessMs();
    if (stalenessMs <= freshness.maxStalenessMs) return 'fresh';
    if (freshness.stalePolicy === 'introspect') return 'introspect';
    if (freshness.stalePolicy === 'reject') {
      throw new GuardError(
        'REVOCATION_STATE_STALE',
        'This service cannot prove its revocation list is current.',
      );
    }
    const now = this.clock.nowMs();
    if (now - this.lastStaleWarningMs >= STALE_WARNING_INTERVAL_MS) {
      this.lastStaleWarningMs = now;
      this.logger.warn(
        `revocation state is stale (${Number.isFinite(stalenessMs) ? `${stalenessMs} ms` : 'no heartbeat yet'}); stale policy "allow" accepts tokens anyway`,
      );
    }
    return 'stale-allowed';
  }
}
