import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { EmbeddedDatabase } from '../database/embedded.database.js';
import { migrate } from '../database/migrations.js';
import { usernameKey } from './username.js';

let db: EmbeddedDatabase;
beforeAll(async () => {
  db = await EmbeddedDatabase.open('memory://');
  await migrate(db);
});
afterAll(() => db.close());

describe('usernameKey', () => {
  it('lower-cases ASCII letters and keeps every other character', () => {
    expect(usernameKey('Alice.B_C@x-Y9')).toBe('alice.b_c@x-y9');
    // Full Unicode case mapping would turn these into ASCII (or locale-dependent) letters.
    expect(['\u212Aelly', 'İsmail', 'ÀLICE', 'STRASSE', 'ß'].map(usernameKey)).toEqual([
      '\u212Aelly',
      'İsmail',
      'Àlice',
      'strasse',
      'ß',
    ]);
  });

  it("is exactly the database's username_key (migration 11), whatever the string", async () => {
    const names = fc.sample(
      fc.oneof(
        fc.string({ unit: 'grapheme', maxLength: 20 }),
        fc.string({ unit: 'binary', maxLength: 20 }),
        fc.stringMatching(/^[A-Za-z0-9._@-]{3,12}$/),
      ),
      { numRuns: 400, seed: 11 },
    );
    // Well-formed (PostgreSQL stores UTF-8), without NUL, one per key (the key is unique).
    const byKey = new Map<string, string>();
    for (const name of names) {
      const wellFormed = Buffer.from(name, 'utf8').toString('utf8') === name;
      if (wellFormed && !name.includes('\u0000')) byKey.set(usernameKey(name), name);
    }
    await db.query(
      `INSERT INTO users (id, username, password_hash, scope)
       SELECT gen_random_uuid(), name, 'hash', '' FROM unnest($1::text[]) AS name`,
      [[...byKey.values()]],
    );
    const rows = await db.query<{ username: string; username_key: string }>(
      'SELECT username, username_key FROM users',
    );
    expect(rows.length).toBe(byKey.size);
    const disagreements = rows.filter((r) => usernameKey(r.username) !== r.username_key);
    expect(disagreements).toEqual([]);
  });
});
