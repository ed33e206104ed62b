import { Inject, Injectable, Optional } from '@nestjs/common';
import { AccessTokenAuthenticator } from '../core/access-token-authenticator.js';
import type { DenylistSize } from '../core/denylist.js';
import { GuardError, type GuardErrorCode } from '../core/guard-error.js';
import type { JwksKeySource, KeySetHealth } from '../core/jwks-key-source.js';
import { RevocationFeed } from '../core/revocation-feed.js';
import {
  GUARD_BODY_OPTIONS,
  GuardUnavailableException,
  type GuardBodyOptions,
} from './guard-http-exception.js';
import { GUARD_JWKS } from './revocation-guard.module-definition.js';

export interface ReadinessReport {
  /** `degraded`: stale, but the `allow` or `introspect` policy keeps serving. */
  readonly status: 'ready' | 'degraded';
  /** Milliseconds since the last proof of freshness; null before the first one. */
  readonly stalenessMs: number | null;
  readonly revocations: DenylistSize;
  /**
   * The JWKS copy: its age, whether it is past its max age, and why refreshing it fails. A stale
   * copy never changes `status` by itself: the last good keys are served, the stale policy
   * decides.
   */
  readonly signingKeys: KeySetHealth;
}

/** The revocation state without throwing: `unavailable` means requests get 503 now. */
export type RevocationState =
  | ReadinessReport
  | {
      readonly status: 'unavailable';
      readonly code: GuardErrorCode;
      readonly message: string;
      readonly stalenessMs: number | null;
      readonly revocations: DenylistSize;
      readonly signingKeys: KeySetHealth;
    };

/**
 * Readiness for a health endpoint: 503 until the feed has caught up with every revocation
 * published before this instance started, and while it is stale under the `reject` policy.
 */
@Injectable()
export class RevocationReadiness {
  constructor(
    private readonly feed: RevocationFeed,
    private readonly authenticator: AccessTokenAuthenticator,
    @Inject(GUARD_JWKS) private readonly keys: JwksKeySource,
    @Optional()
    @Inject(GUARD_BODY_OPTIONS)
    private readonly bodyOptions: GuardBodyOptions = {},
  ) {}

  state(): RevocationState {
    const staleness = this.feed.stalenessMs();
    const common = {
      stalenessMs: Number.isFinite(staleness) ? staleness : null,
      revocations: this.feed.denylist.size(),
      signingKeys: this.keys.health(),
    };
    try {
      const usable = this.authenticator.requireUsableState();
      return { status: usable === 'fresh' ? 'ready' : 'degraded', ...common };
    } catch (err) {
      if (!(err instanceof GuardError)) throw err;
      return { status: 'unavailable', code: err.code, message: err.message, ...common };
    }
  }

  /**
   * The report, or a {@link GuardUnavailableException} (503, the guard's body with the `code`)
   * when requests are refused right now; over HTTP it answers with `Retry-After`, as the guard's
   * own 503s do (the module's `RetryAfterInterceptor`).
   */
  check(): ReadinessReport {
    const state = this.state();
    if (state.status === 'unavailable') {
      throw new GuardUnavailableException(
        new GuardError(state.code, state.message),
        this.bodyOptions,
      );
    }
    return state;
  }
}
