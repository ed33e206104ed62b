import { describe, expect, it } from '@jest/globals';
import { HealthIndicatorService } from '@nestjs/terminus';
import type { RevocationReadiness, RevocationState } from '../nest/revocation-readiness.js';
import { RevocationHealthIndicator } from './revocation-health.indicator.js';

const revocations = { token: 1, session: 2, user: 0, key: 0, all: 0 };
const signingKeys = { ageMs: 700_000, stale: true, failures: 3, lastError: 'fetch failed' };

function indicatorFor(state: RevocationState): RevocationHealthIndicator {
  const readiness = { state: () => state } as unknown as RevocationReadiness;
  return new RevocationHealthIndicator(new HealthIndicatorService(), readiness);
}

describe('RevocationHealthIndicator', () => {
  it('is up when caught up and fresh', () => {
    expect(
      indicatorFor({ status: 'ready', stalenessMs: 40, revocations, signingKeys }).isHealthy(),
    ).toEqual({
      revocations: { status: 'up', state: 'ready', stalenessMs: 40, revocations, signingKeys },
    });
  });

  it('is degraded when stale but still serving', () => {
    expect(
      indicatorFor({ status: 'degraded', stalenessMs: 60_000, revocations, signingKeys }).isHealthy(
        'feed',
      ),
    ).toEqual({
      feed: { status: 'degraded', state: 'stale', stalenessMs: 60_000, revocations, signingKeys },
    });
  });

  it('is down with the error code while requests are refused', () => {
    const state: RevocationState = {
      status: 'unavailable',
      code: 'REVOCATION_STATE_NOT_READY',
      message: 'not yet',
      stalenessMs: null,
      revocations,
      signingKeys,
    };
    expect(indicatorFor(state).isHealthy()).toEqual({
      revocations: {
        status: 'down',
        state: 'unavailable',
        code: 'REVOCATION_STATE_NOT_READY',
        stalenessMs: null,
        revocations,
        signingKeys,
      },
    });
  });
});
