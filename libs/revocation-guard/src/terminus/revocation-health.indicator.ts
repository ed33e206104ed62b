import { Injectable } from '@nestjs/common';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import { RevocationReadiness } from '../nest/revocation-readiness.js';

/**
 * A Terminus health indicator for the revocation feed:
 * - `up` when caught up and fresh;
 * - `degraded` when stale but the `allow` or `introspect` policy keeps serving (HTTP 200);
 * - `down` when requests are refused: not caught up yet, or stale under `reject` (HTTP 503).
 *
 * Details: `state`, `stalenessMs`, live `revocations` by scope, `signingKeys` (the JWKS copy's
 * age, staleness and last fetch error: reported, never a reason to go down), and the error `code`
 * when down.
 */
@Injectable()
export class RevocationHealthIndicator {
  constructor(
    private readonly indicators: HealthIndicatorService,
    private readonly readiness: RevocationReadiness,
  ) {}

  isHealthy<const Key extends string = 'revocations'>(
    key: Key = 'revocations' as Key,
  ): HealthIndicatorResult<Key> {
    const indicator = this.indicators.check(key);
    const state = this.readiness.state();
    const details = {
      stalenessMs: state.stalenessMs,
      revocations: state.revocations,
      signingKeys: state.signingKeys,
    };
    switch (state.status) {
      case 'ready':
        return indicator.up({ state: 'ready', ...details });
      case 'degraded':
        return indicator.degraded({ state: 'stale', ...details });
      case 'unavailable':
        return indicator.down({ state: 'unavailable', code: state.code, ...details });
    }
  }
}
