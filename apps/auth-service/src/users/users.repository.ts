import { Inject, Injectable } from '@nestjs/common';
import { DATABASE, type Database, type Queryable } from '../database/database.js';
import { usernameKey } from './username.js';

export interface UserRecord {
  readonly id: string;
  readonly username: string;
  readonly passwordHash: string;
  readonly scope: string;
  /**
   * Tokens of this user with `iat` at or before this second are revoked: the later of the
   * user's own cutoff and the global emergency cutoff.
   */
  readonly tokensRevokedBefore: number;
  readonly disabled: boolean;
}

interface UserRow {
  id: string;
  username: string;
  password_hash: string;
  scope: string;
  tokens_revoked_before: string | number;
  disabled: boolean;
}

const toRecord = (row: UserRow): UserRecord => ({
  id: row.id,
  username: row.username,
  passwordHash: row.password_hash,
  scope: row.scope,
  tokensRevokedBefore: Number(row.tokens_revoked_before),
  disabled: row.disabled,
});

/**
 * The SQL of a `tokens_revoked_before` raised at `$2` (now, in seconds): at least now, past any
 * token dated one second after an earlier (own or global) cutoff, never more than now + 1, never
 * lowered. Users' and clients' cutoffs follow it alike (see {@link UsersRepository.raiseCutoff}).
 */
export const RAISED_CUTOFF = `GREATEST(tokens_revoked_before,
  LEAST(GREATEST($2::bigint,
                 GREATEST(tokens_revoked_before,
                          COALESCE((SELECT value FROM settings WHERE name = 'global_cutoff'), 0)) + 1),
        $2::bigint + 1))`;

/** The user columns every read needs, with the global cutoff folded into the user's. */
const SELECT_USER = `SELECT u.id, u.username, u.password_hash, u.scope, u.disabled_at IS NOT NULL AS disabled,
  GREATEST(u.tokens_revoked_before,
           COALESCE((SELECT value FROM settings WHERE name = 'global_cutoff'), 0)) AS tokens_revoked_before
  FROM users u`;

@Injectable()
export class UsersRepository {
  constructor(@Inject(DATABASE) private readonly db: Database) {}

  /** Inserts a user; false when the username is taken, regardless of case. */
  async insert(user: Omit<UserRecord, 'tokensRevokedBefore' | 'disabled'>): Promise<boolean> {
    const rows = await this.db.query(
      `INSERT INTO users (id, username, password_hash, scope) VALUES ($1, $2, $3, $4)
       ON CONFLICT (username_key) DO NOTHING RETURNING id`,
      [user.id, user.username, user.passwordHash, user.scope],
    );
    return rows.length === 1;
  }

  /** The user whose username is this one regardless of case ({@link usernameKey}). */
  async findByUsername(username: string): Promise<UserRecord | undefined> {
    const rows = await this.db.query<UserRow>(`${SELECT_USER} WHERE u.username_key = $1`, [
      usernameKey(username),
    ]);
    return rows[0] && toRecord(rows[0]);
  }

  async findById(id: string, tx: Queryable = this.db): Promise<UserRecord | undefined> {
    const rows = await tx.query<UserRow>(`${SELECT_USER} WHERE u.id = $1`, [id]);
    return rows[0] && toRecord(rows[0]);
  }

  /**
   * Reads a user and holds a share lock on the row for the rest of the transaction: a cutoff,
   * scope or disable change commits either before this read, and is seen, or after the caller's
   * transaction, and covers what it issued.
   */
  async lockForIssuance(tx: Queryable, id: string): Promise<UserRecord | undefined> {
    const rows = await tx.query<UserRow>(`${SELECT_USER} WHERE u.id = $1 FOR SHARE OF u`, [id]);
    return rows[0] && toRecord(rows[0]);
  }

  /** Disables or re-enables a user; false when there is no such user. */
  async setDisabled(tx: Queryable, userId: string, disabled: boolean): Promise<boolean> {
    const rows = await tx.query(
      `UPDATE users SET disabled_at = ${disabled ? 'COALESCE(disabled_at, now())' : 'NULL'}
        WHERE id = $1 RETURNING id`,
      [userId],
    );
    return rows.length === 1;
  }

  async setScope(tx: Queryable, userId: string, scope: string): Promise<boolean> {
    const rows = await tx.query('UPDATE users SET scope = $2 WHERE id = $1 RETURNING id', [
      userId,
      scope,
    ]);
    return rows.length === 1;
  }

  /**
   * Raises the global cutoff to cover every token issued so far, including those dated past an
   * earlier (user or global) cutoff of this second, but never more than 1 s past `now` (see
   * {@link raiseCutoff}). Returns the cutoff now in force.
   */
  async raiseGlobalCutoff(tx: Queryable, now: number): Promise<number> {
    const rows = await tx.query<{ value: string | number }>(
      `INSERT INTO settings (name, value)
       VALUES ('global_cutoff', LEAST(GREATEST($1::bigint,
         (SELECT COALESCE(MAX(tokens_revoked_before), 0) + 1
            FROM (SELECT tokens_revoked_before FROM users
                  UNION ALL SELECT tokens_revoked_before FROM client_cutoffs) AS cutoffs)),
         $1::bigint + 1))
       ON CONFLICT (name) DO UPDATE SET value = GREATEST(settings.value,
         LEAST(GREATEST(EXCLUDED.value, settings.value + 1), $1::bigint + 1))
       RETURNING value`,
      [now],
    );
    return Number(rows[0]?.value ?? now);
  }

  async updatePasswordHash(tx: Queryable, userId: string, passwordHash: string): Promise<void> {
    await tx.query('UPDATE users SET password_hash = $2 WHERE id = $1', [userId, passwordHash]);
  }

  /**
   * Raises the user's cutoff to cover every token issued so far: at least `now`, and past any
   * token issued after an earlier cutoff in this same second (those are dated cutoff + 1).
   *
   * Never more than 1 s past `now`, however many revocations run at once: the token issuer never
   * dates a token more than 1 s ahead (it waits for the clock instead), so `now + 1` covers every
   * token. A cutoff already further ahead (written before this rule) is kept, never lowered:
   * lowering it would un-revoke tokens. Returns the cutoff now in force.
   */
  async raiseCutoff(tx: Queryable, userId: string, now: number): Promise<number> {
    const rows = await tx.query<{ tokens_revoked_before: string | number }>(
      `UPDATE users SET tokens_revoked_before = ${RAISED_CUTOFF}
       WHERE id = $1 RETURNING tokens_revoked_before`,
      [userId, now],
    );
    return Number(rows[0]?.tokens_revoked_before ?? now);
  }
}
