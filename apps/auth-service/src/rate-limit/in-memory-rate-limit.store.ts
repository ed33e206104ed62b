import type { RateLimitRule, RateLimitStore } from './rate-limit-store.js';

interface Window {
  startedMs: number;
  count: number;
}

/** Counters in this process only: for tests, or a single instance without shared limits. */
export class InMemoryRateLimitStore implements RateLimitStore {
  private readonly windows = new Map<string, Window>();
  private lastSweepMs = 0;

  constructor(private readonly now: () => number = Date.now) {}

  hit(key: string, rule: RateLimitRule): Promise<number> {
    const now = this.now();
    this.sweep(now, rule.windowMs);
    let window = this.windows.get(key);
    if (!window || now - window.startedMs >= rule.windowMs) {
      window = { startedMs: now, count: 0 };
      this.windows.set(key, window);
    }
    window.count++;
    return Promise.resolve(window.count > rule.limit ? window.startedMs + rule.windowMs - now : 0);
  }

  private sweep(now: number, windowMs: number): void {
    if (now - this.lastSweepMs < windowMs) return;
    this.lastSweepMs = now;
    for (const [key, window] of this.windows) {
      if (now - window.startedMs >= windowMs) this.windows.delete(key);
    }
  }
}
