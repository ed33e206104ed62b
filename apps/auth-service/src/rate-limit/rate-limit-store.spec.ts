import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { EmbeddedDatabase } from '../database/embedded.database.js';
import { migrate } from '../database/migrations.js';
import { DatabaseRateLimitStore } from './database-rate-limit.store.js';
import { InMemoryRateLimitStore } from './in-memory-rate-limit.store.js';
import type { RateLimitStore } from './rate-limit-store.js';

let db: EmbeddedDatabase;
beforeAll(async () => {
  db = await EmbeddedDatabase.open('memory://');
  await migrate(db);
});
afterAll(() => db.close());

const stores: [string, (now: () => number) => RateLimitStore][] = [
  ['in memory', (now) => new InMemoryRateLimitStore(now)],
  ['in the database', (now) => new DatabaseRateLimitStore(db, now)],
];

describe.each(stores)('a rate-limit store %s', (_name, create) => {
  const rule = { limit: 2, windowMs: 60_000 };

  it('allows `limit` attempts per window per key, then says how long to wait', async () => {
    let now = 1_000_000;
    const store = create(() => now);
    const key = `a-${_name}`;
    expect([await store.hit(key, rule), await store.hit(key, rule)]).toEqual([0, 0]);
    now += 10_000;
    expect(await store.hit(key, rule)).toBe(50_000);
    expect(await store.hit(`b-${_name}`, rule)).toBe(0);
    now += 49_999;
    expect(await store.hit(key, rule)).toBe(1);
    now += 1;
    expect(await store.hit(key, rule)).toBe(0);
  });

  it('takes any string as a key, a NUL character and odd Unicode included', async () => {
    const store = create(() => 1_000);
    const rule = { limit: 1, windowMs: 10_000 };
    for (const key of [
      'login:user:a\u0000b',
      'login:user:\ud83d',
      `login:user:${'x'.repeat(500)}`,
    ]) {
      expect([await store.hit(key, rule), await store.hit(key, rule)]).toEqual([0, 10_000]);
    }
  });

  it('counts attempts made at once exactly', async () => {
    const store = create(() => 5_000_000);
    const key = `burst-${_name}`;
    const waits = await Promise.all(Array.from({ length: 10 }, () => store.hit(key, rule)));
    expect(waits.filter((w) => w === 0)).toHaveLength(2);
  });
});

describe('the database store', () => {
  it('shares counters between instances on one database, and sweeps ended windows', async () => {
    let now = 9_000_000;
    const rule = { limit: 1, windowMs: 1_000 };
    const one = new DatabaseRateLimitStore(db, () => now);
    const other = new DatabaseRateLimitStore(db, () => now);
    expect(await one.hit('shared', rule)).toBe(0);
    expect(await other.hit('shared', rule)).toBe(1_000);

    now += 120_000; // past the window and the sweep interval: the next hit sweeps
    await other.hit('another', rule);
    const count = async () =>
      (
        await db.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM rate_limit_counters WHERE key = 'shared'`,
        )
      )[0]?.n;
    for (let i = 0; i < 100 && (await count()) !== 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(await count()).toBe(0);
  });
});
