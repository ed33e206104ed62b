import { randomBytes } from 'node:crypto';
import type { Queryable } from './database.js';

/**
 * A 32-byte secret every instance shares, by name: created once by whichever instance comes
 * first (the `secrets` table), read by all.
 */
export async function sharedSecret(db: Queryable, name: string): Promise<Buffer> {
  await db.query(
    `INSERT INTO secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING`,
    [name, randomBytes(32).toString('base64url')],
  );
  const rows = await db.query<{ value: string }>(`SELECT value FROM secrets WHERE name = $1`, [
    name,
  ]);
  return Buffer.from(rows[0]?.value ?? '', 'base64url');
}
