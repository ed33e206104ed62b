import { describe, expect, it } from '@jest/globals';
import { backoffDelayMs } from './backoff.js';

describe('backoffDelayMs', () => {
  const delays = (random: number) =>
    [1, 2, 3, 4, 5, 6, 40].map((failures) =>
      backoffDelayMs({ failures, minMs: 250, maxMs: 5_000, random: () => random }),
    );

  it('doubles from the minimum up to the cap', () => {
    expect(delays(0)).toEqual([250, 500, 1_000, 2_000, 4_000, 5_000, 5_000]);
  });

  it('adds up to half of the delay at random, so instances do not retry in lockstep', () => {
    expect(delays(0.999)).toEqual([374, 749, 1_499, 2_999, 5_998, 7_497, 7_497]);
    expect(backoffDelayMs({ failures: 1, minMs: 1_000, maxMs: 1_000, random: () => 0.5 })).toBe(
      1_250,
    );
  });
});
