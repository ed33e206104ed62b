import { describe, expect, it } from '@jest/globals';
import { ManualClock } from './manual-clock.js';
import type { Principal } from './principal.js';
import { VerifiedTokenCache } from './verified-token-cache.js';

const T0 = 1_800_000_000; // seconds

const principal = (n: number, exp: number): Principal => ({
  sub: `user-${n}`,
  sid: `sid-${n}`,
  jti: `jti-${n}`,
  iss: 'https://auth.example.test',
  kind: 'user',
  scopes: [],
  iat: exp - 300,
  exp,
  kid: 'k1',
  claims: {},
});

describe('VerifiedTokenCache', () => {
  it('never answers for an expired token', () => {
    const clock = ManualClock.fromSeconds(T0);
    const cache = new VerifiedTokenCache(10, clock);
    cache.set('t1', principal(1, T0 + 60));
    expect(cache.get('t1')?.jti).toBe('jti-1');
    clock.seconds = T0 + 60;
    expect(cache.get('t1')).toBeUndefined();
  });

  it('sweeps expired entries out, so its size follows the live tokens and not the LRU bound', () => {
    const clock = ManualClock.fromSeconds(T0);
    const cache = new VerifiedTokenCache(10_000, clock);
    for (let n = 0; n < 1_000; n++) cache.set(`old-${n}`, principal(n, T0 + 60));
    expect(cache.size).toBe(1_000);
    clock.seconds = T0 + 61; // all expired, the sweep interval passed
    cache.set('new', principal(1_000, T0 + 600));
    expect(cache.size).toBe(1);
  });
});
