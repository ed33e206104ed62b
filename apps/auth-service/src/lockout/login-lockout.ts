import { Logger } from '@nestjs/common';
import type { Database } from '../database/database.js';
import { AuthError } from '../errors/auth-error.js';
import { usernameKey } from '../users/username.js';
import { lockDurationMs, type LockoutPolicy } from './lockout-policy.js';

const SWEEP_INTERVAL_MS = 60_000;

/** The username's one normalisation: the key of its user, its rate limits and its lock. */
const keyOf = usernameKey;

/**
 * Progressive lockout of a username after consecutive failed logins, kept in the database so
 * every instance sees it and it survives restarts. It is keyed by the normalised username
 * ({@link usernameKey}, the same key that makes usernames unique), whether or not such a user
 * exists, and does the same work in both cases: it cannot reveal who exists.
 * Attempts refused while locked are not counted (they cannot extend the lock).
 */
export class LoginLockout {
  private readonly logger = new Logger('LoginLockout');
  private lastSweepMs = 0;

  constructor(
    private readonly db: Database,
    private readonly policy: LockoutPolicy,
    private readonly now: () => number = Date.now,
    /** Called once per lock imposed (metrics). */
    private readonly onLock: () => void = () => undefined,
  ) {}

  /** Throws 429 `LOGIN_LOCKED` with the seconds to wait while the username is locked. */
  async assertUnlocked(username: string): Promise<void> {
    const now = this.now();
    this.sweepIfDue(now);
    const rows = await this.db.query<{ locked_until_ms: string | number }>(
      'SELECT locked_until_ms FROM login_failures WHERE username = $1',
      [keyOf(username)],
    );
    const waitMs = Number(rows[0]?.locked_until_ms ?? 0) - now;
    if (waitMs > 0) {
      throw new AuthError(
        'LOGIN_LOCKED',
        'Too many failed logins for this username; retry later.',
        undefined,
        Math.ceil(waitMs / 1000),
      );
    }
  }

  /** Counts a failure (one upsert) and locks the username when the policy says so. */
  async recordFailure(username: string): Promise<void> {
    const now = this.now();
    const rows = await this.db.query<{ failures: number | string }>(
      `INSERT INTO login_failures AS f (username, failures, locked_until_ms, last_failure_ms)
       VALUES ($1, 1, 0, $2::bigint)
       ON CONFLICT (username) DO UPDATE SET
         failures = CASE WHEN f.last_failure_ms <= $2::bigint - $3::bigint THEN 1
                         ELSE f.failures + 1 END,
         last_failure_ms = $2::bigint
       RETURNING failures`,
      [keyOf(username), now, this.policy.resetMs],
    );
    const lockMs = lockDurationMs(this.policy, Number(rows[0]?.failures ?? 1));
    if (lockMs === 0) return;
    this.onLock();
    await this.db.query(
      `UPDATE login_failures SET locked_until_ms = GREATEST(locked_until_ms, $2::bigint)
        WHERE username = $1`,
      [keyOf(username), now + lockMs],
    );
  }

  /** A successful login starts the count again: pass the username of the user who logged in. */
  async recordSuccess(username: string): Promise<void> {
    await this.db.query('DELETE FROM login_failures WHERE username = $1', [keyOf(username)]);
  }

  /** Deletes counts that have lapsed and are no longer locked, in the background. */
  private sweepIfDue(now: number): void {
    if (now - this.lastSweepMs < SWEEP_INTERVAL_MS) return;
    this.lastSweepMs = now;
    this.db
      .query(
        `DELETE FROM login_failures
          WHERE last_failure_ms <= $1::bigint - $2::bigint AND locked_until_ms <= $1::bigint`,
        [now, this.policy.resetMs],
      )
      .catch((err: unknown) => {
        this.logger.warn(`sweeping lapsed login failures failed: ${(err as Error).message}`);
      });
  }
}
