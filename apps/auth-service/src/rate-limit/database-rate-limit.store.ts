import { createHash } from 'node:crypto';
import { Logger } from '@nestjs/common';
import type { Database } from '../database/database.js';
import type { RateLimitRule, RateLimitStore } from './rate-limit-store.js';

/** Expired counters are deleted at most this often, by whichever instance counts next. */
const SWEEP_INTERVAL_MS = 60_000;

/**
 * Counters in the database, so every auth-service instance on it enforces one limit. One upsert
 * per check: it opens a new window when the key's last one has ended, else counts into it, and
 * returns the count and the window's end. Times come from the instance's clock, so instances
 * disagree about a window's end by at most their clock skew. Keys are stored as SHA-256 digests:
 * any string (a NUL included) is a valid key, and no username or IP address is written down.
 */
export class DatabaseRateLimitStore implements RateLimitStore {
  private readonly logger = new Logger('RateLimit');
  private lastSweepMs = 0;

  constructor(
    private readonly db: Database,
    private readonly now: () => number = Date.now,
  ) {}

  async hit(key: string, rule: RateLimitRule): Promise<number> {
    const now = this.now();
    this.sweepIfDue(now);
    const rows = await this.db.query<{ hits: number | string; resets_at_ms: number | string }>(
      `INSERT INTO rate_limit_counters AS c (key, hits, resets_at_ms)
       VALUES ($1, 1, $2::bigint + $3::bigint)
       ON CONFLICT (key) DO UPDATE SET
         hits = CASE WHEN c.resets_at_ms <= $2::bigint THEN 1 ELSE c.hits + 1 END,
         resets_at_ms = CASE WHEN c.resets_at_ms <= $2::bigint
                             THEN $2::bigint + $3::bigint ELSE c.resets_at_ms END
       RETURNING hits, resets_at_ms`,
      [createHash('sha256').update(key).digest('base64url'), now, rule.windowMs],
    );
    const row = rows[0];
    if (!row) throw new Error('rate-limit upsert returned no row');
    return Number(row.hits) > rule.limit ? Math.max(1, Number(row.resets_at_ms) - now) : 0;
  }

  /** Deletes ended windows in the background; a failure only delays the next sweep. */
  private sweepIfDue(now: number): void {
    if (now - this.lastSweepMs < SWEEP_INTERVAL_MS) return;
    this.lastSweepMs = now;
    this.db
      .query('DELETE FROM rate_limit_counters WHERE resets_at_ms <= $1::bigint', [now])
      .catch((err: unknown) => {
        this.logger.warn(`sweeping expired counters failed: ${(err as Error).message}`);
      });
  }
}
