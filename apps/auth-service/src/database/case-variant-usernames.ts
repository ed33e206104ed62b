import { usernameKey } from '../users/username.js';
import type { Queryable } from './database.js';

/** `usernameKey()` as migration 11 computes it (frozen with the migration). */
const KEY = `translate(username, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')`;

/** The command that renames a user, for the database the service was started on. */
export const RENAME_COMMAND = 'node apps/auth-service/dist/rename-user.js';

interface UserRow {
  key: string;
  id: string;
  username: string;
  created_at: Date | string;
}

/** Users whose usernames differ only in case: migration 11 cannot make usernames unique. */
export class CaseVariantUsernamesError extends Error {
  override readonly name = 'CaseVariantUsernamesError';

  constructor(
    /** Each group oldest first: the first keeps its name, the others need a new one. */
    readonly groups: readonly (readonly { id: string; username: string; createdAt: string }[])[],
    /** The new username proposed for each user to rename, by id. */
    readonly proposals: ReadonlyMap<string, string>,
  ) {
    const quote = (s: string) => `'${s.replace(/'/g, "''")}'`;
    const renames = [...proposals];
    super(
      [
        'auth-service: migration 11 makes usernames unique regardless of case, but these users have',
        'usernames that differ only in case. Nothing was changed.',
        ...groups.map((group) =>
          [
            '  ',
            group
              .map(
                (u, i) =>
                  `"${u.username}" (id ${u.id}, created ${u.createdAt})` +
                  (i === 0 ? ' keeps its name' : ' needs another'),
              )
              .join('; '),
          ].join(''),
        ),
        'Rename all but the first of each group (and tell those users their new username), then',
        'start again. With the service stopped and its DATABASE_URL or DATA_DIR set:',
        ...renames.map(([id, name]) => `  ${RENAME_COMMAND} ${id} ${name}`),
        'or, on PostgreSQL, in psql:',
        ...renames.map(
          ([id, name]) => `  UPDATE users SET username = ${quote(name)} WHERE id = ${quote(id)};`,
        ),
      ].join('\n'),
    );
  }
}

/**
 * Migration 11's check: refuses, before anything changes, while two usernames differ only in
 * case, naming them and how to rename them. Holds off concurrent writers (an older instance
 * registering) until the migration commits.
 */
export async function refuseCaseVariantUsernames(tx: Queryable): Promise<void> {
  await tx.query('LOCK TABLE users IN SHARE ROW EXCLUSIVE MODE');
  const rows = await tx.query<UserRow>(
    `SELECT ${KEY} AS key, id, username, created_at FROM users
      WHERE ${KEY} IN (SELECT ${KEY} FROM users GROUP BY 1 HAVING count(*) > 1)
      ORDER BY key, created_at, id`,
  );
  if (rows.length === 0) return;
  const byKey = new Map<string, { id: string; username: string; createdAt: string }[]>();
  for (const row of rows) {
    const createdAt = new Date(row.created_at).toISOString();
    const group = byKey.get(row.key) ?? [];
    group.push({ id: row.id, username: row.username, createdAt });
    byKey.set(row.key, group);
  }
  const proposals = new Map<string, string>();
  for (const [, group] of byKey) {
    for (const user of group.slice(1)) {
      proposals.set(user.id, await freeName(tx, user, new Set(proposals.values())));
    }
  }
  throw new CaseVariantUsernamesError([...byKey.values()], proposals);
}

/** `<username>-<part of the id>`: registrable, and nobody's username regardless of case. */
async function freeName(
  tx: Queryable,
  user: { id: string; username: string },
  proposed: ReadonlySet<string>,
): Promise<string> {
  const hex = user.id.replace(/-/g, '');
  const base = user.username.replace(/[^A-Za-z0-9._@-]/g, '-');
  for (let length = 8; ; length += 4) {
    const suffix = `-${hex.slice(0, length)}`;
    const name = `${base.slice(0, 64 - suffix.length)}${suffix}`;
    const key = usernameKey(name);
    const taken = await tx.query(`SELECT 1 FROM users WHERE ${KEY} = $1`, [key]);
    if ((taken.length === 0 && !proposed.has(name)) || length >= hex.length) return name;
  }
}
