import { Inject, Injectable, Optional } from '@nestjs/common';
import { AccessTokenAuthenticator } from '../core/access-token-authenticator.js';
import { GuardError } from '../core/guard-error.js';
import type { KeySetHealth } from '../core/jwks-key-source.js';
import { RevocationFeed } from '../core/revocation-feed.js';
import {
  revocationState,
  type ReadinessReport,
  type RevocationState,
} from '../core/revocation-state.js';
import {
  GUARD_BODY_OPTIONS,
  GuardUnavailableException,
  type GuardBodyOptions,
} from './guard-http-exception.js';
import { GUARD_JWKS } from './revocation-guard.module-definition.js';

export type { ReadinessReport, RevocationState } from '../core/revocation-state.js';

/**
 * Readiness for a health endpoint: 503 until the feed has caught up with every revocation
 * published before this instance started, and while it is stale under the `reject` policy.
 */
@Injectable()
export class RevocationReadiness {
  constructor(
    private readonly feed: RevocationFeed,
    private readonly authenticator: AccessTokenAuthenticator,
    @Inject(GUARD_JWKS) private readonly keys: { health(): KeySetHealth },
    @Optional()
    @Inject(GUARD_BODY_OPTIONS)
    private readonly bodyOptions: GuardBodyOptions = {},
  ) {}

  state(): RevocationState {
    return revocationState({ feed: this.feed, authenticator: this.authenticator, keys: this.keys });
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
