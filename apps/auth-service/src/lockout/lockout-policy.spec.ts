import { describe, expect, it } from '@jest/globals';
import { lockDurationMs, type LockoutPolicy } from './lockout-policy.js';

const policy: LockoutPolicy = { threshold: 5, baseMs: 1_000, maxMs: 900_000, resetMs: 86_400_000 };

describe('lockDurationMs', () => {
  it('is free up to the threshold, then doubles from the base up to the maximum', () => {
    const durations = Array.from({ length: 17 }, (_, i) => lockDurationMs(policy, i + 1));
    expect(durations).toEqual([
      0, 0, 0, 0, 1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 64_000, 128_000, 256_000, 512_000,
      900_000, 900_000, 900_000,
    ]);
  });

  it('stays at the maximum for any count, however large', () => {
    expect(lockDurationMs(policy, 1_000_000)).toBe(900_000);
    expect(lockDurationMs({ ...policy, threshold: 1 }, 1)).toBe(1_000);
  });
});
