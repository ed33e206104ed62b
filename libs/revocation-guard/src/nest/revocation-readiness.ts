import { Injectable, ServiceUnavailableException } from '@nestjs/common';
import { RevocationFeed } from '../core/revocation-feed.js';

export interface ReadinessReport {
  readonly status: 'ready';
  readonly revocations: { readonly token: number; readonly session: number; readonly user: number };
}

/**
 * Readiness for a health endpoint: ready once the feed has caught up with every revocation
 * published before this instance started. Until then `check()` throws a 503.
 */
@Injectable()
export class RevocationReadiness {
  constructor(private readonly feed: RevocationFeed) {}

  check(): ReadinessReport {
    if (!this.feed.isReady()) {
      throw new ServiceUnavailableException({
        code: 'REVOCATION_STATE_NOT_READY',
        message: 'Catching up with the revocation feed.',
      });
    }
    return { status: 'ready', revocations: this.feed.denylist.size() };
  }
}
