import type { Queryable } from '../database/database.js';
import { USERNAME_PATTERN, usernameKey } from './username.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Renames a user, for an admin resolving usernames that differ only in case (see migration 11).
 * Works before and after that migration: the new name must be registrable and nobody else's
 * regardless of case. Throws a TypeError saying what is wrong.
 */
export async function renameUser(db: Queryable, id: string, username: string): Promise<void> {
  if (!UUID.test(id)) throw new TypeError(`"${id}" is not a user id (a UUID)`);
  if (!USERNAME_PATTERN.test(username)) {
    throw new TypeError('the new username must be 3 to 64 letters, digits or . _ @ -');
  }
  const taken = await db.query<{ id: string }>(
    `SELECT id FROM users
      WHERE translate(username, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz') = $1
        AND id <> $2`,
    [usernameKey(username), id],
  );
  if (taken[0])
    throw new TypeError(`"${username}" is taken (regardless of case) by ${taken[0].id}`);
  const renamed = await db.query('UPDATE users SET username = $2 WHERE id = $1 RETURNING id', [
    id,
    username,
  ]);
  if (renamed.length === 0) throw new TypeError(`there is no user ${id}`);
}
