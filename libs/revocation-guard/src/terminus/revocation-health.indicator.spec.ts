import { describe, expect, it } from '@jest/globals';
import { HealthIndicatorService } from '@nestjs/terminus';
import type { RevocationReadiness, RevocationState } from '../nest/revocation-readiness.js';
import { RevocationHealthIndicator } from './revocation-health.indicator.js';

const revocations = { token: 1, session: 2, user: 0, key: 0, all: 0 };

function indicatorFor(state: RevocationState): RevocationHealthIndicator {
  const readiness = { state: () => state } as unknown as RevocationReadiness;
  return new RevocationHealthIndicator(new HealthIndicatorService(), readiness);
}

describe('RevocationHealthIndicator', () => {
  it('is up when caught up and fresh', () => {
    expect(indicatorFor({ status: 'ready', stalenessMs: 40, revocations }).isHealthy()).toEqual({
      revocations: { status: 'up', state: 'ready', stalenessMs: 40, revocations },
    });
  });

  it('is degraded when stale but still serving', () => {
    expect(
      indicatorFor({ status: 'degraded', stalenessMs: 60_000, revocations }).isHealthy('feed'),
    ).toEqual({ feed: { status: 'degraded', state: 'stale', stalenessMs: 60_000, revocations } });
  });

  it('is down with the error code while requests are refused', () => {
    const state: RevocationState = {
      status: 'unavailable',
      code: 'REVOCATION_STATE_NOT_READY',
      message: 'not yet',
      stalenessMs: null,
      revocations,
    };
    expect(indicatorFor(state).isHealthy()).toEqual({
      revocations: {
        status: 'down',
        state: 'unavailable',
        code: 'REVOCATION_STATE_NOT_READY',
        stalenessMs: null,
        revocations,
      },
    });
  });
});
