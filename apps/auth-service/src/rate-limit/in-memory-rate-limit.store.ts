/** How many attempts a key may make per window. */
export interface RateLimitRule {
  readonly limit: number;
  readonly windowMs: number;
}

interface Window {
  startedMs: number;
  count: number;
}

/**
 * Fixed-window counters per key, in memory (each auth-service instance counts for itself).
 * `hit` answers how long to wait when the key is over its limit.
 */
export class RateLimiter {
  private readonly windows = new Map<string, Window>();
  private lastSweepMs = 0;

  constructor(private readonly now: () => number = Date.now) {}

  /** Counts one attempt; returns 0 when allowed, else the milliseconds until the next one is. */
  hit(key: string, rule: RateLimitRule): number {
    const now = this.now();
    this.sweep(now, rule.windowMs);
    let window = this.windows.get(key);
    if (!window || now - window.startedMs >= rule.windowMs) {
      window = { startedMs: now, count: 0 };
      this.windows.set(key, window);
    }
    window.count++;
    return window.count > rule.limit ? window.startedMs + rule.windowMs - now : 0;
  }

  private sweep(now: number, windowMs: number): void {
    if (now - this.lastSweepMs < windowMs) return;
    this.lastSweepMs = now;
    for (const [key, window] of this.windows) {
      if (now - window.startedMs >= windowMs) this.windows.delete(key);
    }
  }
}
