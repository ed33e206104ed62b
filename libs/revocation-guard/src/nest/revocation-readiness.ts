import { HttpException, Injectable } from '@nestjs/common';
import { AccessTokenAuthenticator } from '../core/access-token-authenticator.js';
import type { DenylistSize } from '../core/denylist.js';
import { GuardError } from '../core/guard-error.js';
import { RevocationFeed } from '../core/revocation-feed.js';

export interface ReadinessReport {
  /** `degraded`: stale, but the `allow` policy keeps serving. */
  readonly status: 'ready' | 'degraded';
  /** Milliseconds since the last proof of freshness; null before the first one. */
  readonly stalenessMs: number | null;
  readonly revocations: DenylistSize;
}

/**
 * Readiness for a health endpoint: 503 until the feed has caught up with every revocation
 * published before this instance started, and while it is stale under the `reject` policy.
 */
@Injectable()
export class RevocationReadiness {
  constructor(
    private readonly feed: RevocationFeed,
    private readonly authenticator: AccessTokenAuthenticator,
  ) {}

  check(): ReadinessReport {
    try {
      this.authenticator.requireUsableState();
    } catch (err) {
      if (err instanceof GuardError) {
        throw new HttpException({ code: err.code, message: err.message }, err.status);
      }
      throw err;
    }
    const stalenessMs = this.feed.stalenessMs();
    return {
      status: stalenessMs <= this.authenticator.freshness.maxStalenessMs ? 'ready' : 'degraded',
      stalenessMs: Number.isFinite(stalenessMs) ? stalenessMs : null,
      revocations: this.feed.denylist.size(),
    };
  }
}
