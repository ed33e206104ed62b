/**
 * The delay before the next try after `failures` failures in a row: `minMs × 2^(failures-1)`,
 * capped at `maxMs`, plus a random part of up to `jitter` of itself, so that many instances
 * that lost the same dependency at the same moment do not retry in lockstep.
 */
export function backoffDelayMs(options: {
  readonly failures: number;
  readonly minMs: number;
  readonly maxMs: number;
  /** A number in [0, 1). */
  readonly random: () => number;
  /** Fraction of the delay added at most. Default 0.5. */
  readonly jitter?: number;
}): number {
  const { failures, minMs, maxMs, random, jitter = 0.5 } = options;
  const base = Math.min(maxMs, minMs * 2 ** Math.min(Math.max(failures, 1) - 1, 30));
  return base + Math.floor(random() * base * jitter);
}
