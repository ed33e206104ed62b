/** How many attempts a key may make per window. */
export interface RateLimitRule {
  readonly limit: number;
  readonly windowMs: number;
}

/**
 * Where attempt counters live. Fixed windows that start at a key's first attempt: `limit`
 * attempts, then refusals until the window ends. Refused attempts count too.
 */
export interface RateLimitStore {
  /** Counts one attempt; resolves 0 when allowed, else the milliseconds until the next one is. */
  hit(key: string, rule: RateLimitRule): Promise<number>;
}

export const RATE_LIMIT_STORE = Symbol('RATE_LIMIT_STORE');
