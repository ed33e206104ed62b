/** When repeated failed logins of one username lock it, and for how long. */
export interface LockoutPolicy {
  /** Consecutive failures that are free; the next ones lock. */
  readonly threshold: number;
  /** The first lock's length; each further failure doubles it. */
  readonly baseMs: number;
  /** No lock is longer than this. */
  readonly maxMs: number;
  /** Failures are forgotten after this long without one. */
  readonly resetMs: number;
}

/**
 * How long the `failures`-th consecutive failure locks the username: nothing up to the
 * threshold, then base, 2 × base, 4 × base, ... up to the maximum.
 */
export function lockDurationMs(policy: LockoutPolicy, failures: number): number {
  if (failures < policy.threshold) return 0;
  const doublings = failures - policy.threshold;
  // 2^31 × 1 ms exceeds any allowed maximum: stop doubling before the number overflows.
  if (doublings >= 31) return policy.maxMs;
  return Math.min(policy.maxMs, policy.baseMs * 2 ** doublings);
}
