import { Inject, Injectable } from '@nestjs/common';
import { DATABASE, type Database, type Queryable } from '../database/database.js';

export interface UserRecord {
  readonly id: string;
  readonly username: string;
  readonly passwordHash: string;
  readonly scope: string;
  /** Tokens of this user with `iat` at or before this second are revoked. */
  readonly tokensRevokedBefore: number;
}

interface UserRow {
  id: string;
  username: string;
  password_hash: string;
  scope: string;
  tokens_revoked_before: string | number;
}

const toRecord = (row: UserRow): UserRecord => ({
  id: row.id,
  username: row.username,
  passwordHash: row.password_hash,
  scope: row.scope,
  tokensRevokedBefore: Number(row.tokens_revoked_before),
});

@Injectable()
export class UsersRepository {
  constructor(@Inject(DATABASE) private readonly db: Database) {}

  /** Inserts a user; false when the username is taken. */
  async insert(user: Omit<UserRecord, 'tokensRevokedBefore'>): Promise<boolean> {
    const rows = await this.db.query(
      `INSERT INTO users (id, username, password_hash, scope) VALUES ($1, $2, $3, $4)
       ON CONFLICT (username) DO NOTHING RETURNING id`,
      [user.id, user.username, user.passwordHash, user.scope],
    );
    return rows.length === 1;
  }

  async findByUsername(username: string): Promise<UserRecord | undefined> {
    const rows = await this.db.query<UserRow>('SELECT * FROM users WHERE username = $1', [
      username,
    ]);
    return rows[0] && toRecord(rows[0]);
  }

  async findById(id: string, tx: Queryable = this.db): Promise<UserRecord | undefined> {
    const rows = await tx.query<UserRow>('SELECT * FROM users WHERE id = $1', [id]);
    return rows[0] && toRecord(rows[0]);
  }

  async updatePasswordHash(tx: Queryable, userId: string, passwordHash: string): Promise<void> {
    await tx.query('UPDATE users SET password_hash = $2 WHERE id = $1', [userId, passwordHash]);
  }

  /** Raises the user's cutoff to at least `cutoff`; returns the cutoff now in force. */
  async raiseCutoff(tx: Queryable, userId: string, cutoff: number): Promise<number> {
    const rows = await tx.query<{ tokens_revoked_before: string | number }>(
      `UPDATE users SET tokens_revoked_before = GREATEST(tokens_revoked_before, $2)
       WHERE id = $1 RETURNING tokens_revoked_before`,
      [userId, cutoff],
    );
    return Number(rows[0]?.tokens_revoked_before ?? cutoff);
  }
}
