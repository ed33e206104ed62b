import { describe, expect, it } from '@jest/globals';
import type { Database } from '../database/database.js';
import { CsrfTokens } from './csrf-tokens.js';

/** A `secrets` table of one process, as the real one is shared by every instance. */
function secretsTable(): Database {
  const secrets = new Map<string, string>();
  return {
    query: (sql: string, [name, value]: readonly unknown[] = []) => {
      const key = String(name);
      if (sql.startsWith('INSERT')) {
        if (!secrets.has(key)) secrets.set(key, String(value));
        return Promise.resolve([]);
      }
      return Promise.resolve(secrets.has(key) ? [{ value: secrets.get(key) }] : []);
    },
  } as unknown as Database;
}

async function loaded(db: Database): Promise<CsrfTokens> {
  const csrf = new CsrfTokens(db);
  await csrf.onModuleInit();
  return csrf;
}

describe('CSRF double-submit tokens', () => {
  it("accepts the form token of the browser's own cookie, on every instance", async () => {
    const db = secretsTable();
    const [one, other] = [await loaded(db), await loaded(db)];
    const cookie = one.newCookieValue();
    const token = one.tokenFor(cookie);
    // Signed, not the cookie itself: a site that plants a cookie cannot derive the token.
    expect(token).not.toBe(cookie);
    expect(one.verify(cookie, token)).toBe(true);
    expect(other.verify(cookie, token)).toBe(true);
  });

  it('refuses another cookie, another secret, a missing or altered token', async () => {
    const csrf = await loaded(secretsTable());
    const cookie = csrf.newCookieValue();
    const token = csrf.tokenFor(cookie);
    expect(csrf.verify(csrf.newCookieValue(), token)).toBe(false);
    expect((await loaded(secretsTable())).verify(cookie, token)).toBe(false);
    expect(csrf.verify(cookie, undefined)).toBe(false);
    expect(csrf.verify(cookie, [token])).toBe(false);
    expect(csrf.verify(cookie, `${token}x`)).toBe(false);
    expect(csrf.verify(cookie, token.slice(0, -1))).toBe(false);
    expect(csrf.verify(undefined, token)).toBe(false);
    expect(csrf.verify(cookie, cookie)).toBe(false);
  });

  it('mints only well-formed cookie values, and refuses any other', async () => {
    const csrf = await loaded(secretsTable());
    expect(csrf.isCookieValue(csrf.newCookieValue())).toBe(true);
    expect(csrf.isCookieValue('short')).toBe(false);
    expect(csrf.isCookieValue(`${'a'.repeat(42)};`)).toBe(false);
    expect(csrf.isCookieValue(undefined)).toBe(false);
  });
});
