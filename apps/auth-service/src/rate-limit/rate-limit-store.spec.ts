import { describe, expect, it } from '@jest/globals';
import { RateLimiter } from './rate-limiter.js';

describe('RateLimiter', () => {
  it('allows `limit` attempts per window per key, then says how long to wait', () => {
    let now = 0;
    const limiter = new RateLimiter(() => now);
    const rule = { limit: 2, windowMs: 60_000 };
    expect([limiter.hit('a', rule), limiter.hit('a', rule)]).toEqual([0, 0]);
    now = 10_000;
    expect(limiter.hit('a', rule)).toBe(50_000);
    expect(limiter.hit('b', rule)).toBe(0);
    now = 60_000;
    expect(limiter.hit('a', rule)).toBe(0);
  });
});
