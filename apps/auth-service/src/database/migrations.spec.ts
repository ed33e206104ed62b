import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import { loadAuthConfig } from '../config/auth-config.js';
import { renameUser } from '../users/rename-user.js';
import { RENAME_COMMAND } from './case-variant-usernames.js';
import { EmbeddedDatabase } from './embedded.database.js';
import { migrate } from './migrations.js';
import { openDatabase } from './open-database.js';

const ALICE = '11111111-1111-4111-8111-111111111111';
const alice = '22222222-2222-4222-8222-222222222222';
const BOB = '33333333-3333-4333-8333-333333333333';

let dataDir: string | undefined;
afterEach(async () => {
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
  dataDir = undefined;
});

/** A data directory at migration 10 holding the given users. */
async function databaseAt10(users: [id: string, username: string, createdAt: string][]) {
  dataDir = await mkdtemp(join(tmpdir(), 'tokenfence-migrations-'));
  const db = await EmbeddedDatabase.open(dataDir);
  await migrate(db, { upTo: 10 });
  for (const [id, username, createdAt] of users) {
    await db.query(
      `INSERT INTO users (id, username, password_hash, scope, created_at)
       VALUES ($1, $2, 'hash', 'profile', $3)`,
      [id, username, createdAt],
    );
  }
  await db.close();
  return loadAuthConfig({ KAFKA_BROKERS: 'unused:9092', DATA_DIR: dataDir });
}

/** What the service does at start-up with the database: open and migrate it. */
const start = (config: ReturnType<typeof loadAuthConfig>): Promise<string> =>
  openDatabase(config).then(
    async (db) => {
      await db.close();
      return 'started';
    },
    (err: unknown) => (err instanceof Error ? err.message : String(err)),
  );

async function inspect(dir: string) {
  const db = await EmbeddedDatabase.open(dir);
  try {
    const [version] = await db.query<{ v: number }>(
      'SELECT max(version) AS v FROM schema_migrations',
    );
    const users = await db.query<{ id: string; username: string }>(
      'SELECT id, username FROM users ORDER BY id',
    );
    return { version: Number(version?.v), users };
  } finally {
    await db.close();
  }
}

describe('the migration to case-insensitive usernames (F6)', () => {
  it('refuses to start while two usernames differ only in case, names both, changes nothing, and starts once the printed SQL ran', async () => {
    const config = await databaseAt10([
      [ALICE, 'Alice', '2026-01-01T00:00:00Z'],
      [alice, 'alice', '2026-02-01T00:00:00Z'],
      [BOB, 'bob', '2026-03-01T00:00:00Z'],
    ]);
    const refusal = await start(config);
    expect(refusal).toContain(`"Alice" (id ${ALICE}`);
    expect(refusal).toContain(`"alice" (id ${alice}`);
    expect(refusal).not.toContain(BOB);
    expect(await inspect(config.dataDir)).toEqual({
      version: 10,
      users: [
        { id: ALICE, username: 'Alice' },
        { id: alice, username: 'alice' },
        { id: BOB, username: 'bob' },
      ],
    });

    // The printed SQL renames the later of the two, which the refusal says.
    const statements = refusal.match(/^\s*UPDATE users SET .*;$/gm) ?? [];
    expect(statements).toHaveLength(1);
    expect(statements[0]).toContain(`WHERE id = '${alice}'`);
    const db = await EmbeddedDatabase.open(config.dataDir);
    for (const sql of statements) await db.query(sql);
    await db.close();

    expect(await start(config)).toBe('started');
    const after = await inspect(config.dataDir);
    expect(after.version).toBeGreaterThan(10);
    expect(after.users.find((u) => u.id === ALICE)?.username).toBe('Alice');
  });
});

describe('the printed rename command', () => {
  it('resolves the refusal too, and refuses a name that is taken regardless of case', async () => {
    const config = await databaseAt10([
      [ALICE, 'Alice', '2026-01-01T00:00:00Z'],
      [alice, 'alice', '2026-02-01T00:00:00Z'],
      [BOB, 'bob', '2026-03-01T00:00:00Z'],
    ]);
    const refusal = await start(config);
    const command = new RegExp(`^\\s*${RENAME_COMMAND} (\\S+) (\\S+)$`, 'm').exec(refusal);
    expect(command?.slice(1)).toEqual([alice, 'alice-22222222']);
    const db = await EmbeddedDatabase.open(config.dataDir);
    try {
      await expect(renameUser(db, alice, 'BOB')).rejects.toThrow(`"BOB" is taken`);
      await expect(renameUser(db, alice, 'no spaces')).rejects.toThrow(TypeError);
      await renameUser(db, command?.[1] ?? '', command?.[2] ?? '');
    } finally {
      await db.close();
    }
    expect(await start(config)).toBe('started');
  });
});

describe('the migration that keeps a trace context per outbox row (12)', () => {
  it('adds nullable traceparent and tracestate, keeping rows written before as NULL', async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'tokenfence-migrations-'));
    const db = await EmbeddedDatabase.open(dataDir);
    try {
      await migrate(db, { upTo: 11 });
      await db.query(
        `INSERT INTO outbox (event_id, message_key, payload) VALUES ($1, 'user-1', '{}')`,
        [ALICE],
      );
      await expect(db.query('SELECT traceparent FROM outbox')).rejects.toThrow(/traceparent/);

      expect(await migrate(db, { upTo: 12 })).toBe(1);
      const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
      await db.query(
        `INSERT INTO outbox (event_id, message_key, payload, traceparent, tracestate)
         VALUES ($1, 'user-2', '{}', $2, 'vendor=1')`,
        [BOB, traceparent],
      );
      const rows = await db.query<{ event_id: string; traceparent: string | null }>(
        'SELECT event_id, traceparent, tracestate FROM outbox ORDER BY seq',
      );
      expect(rows).toEqual([
        { event_id: ALICE, traceparent: null, tracestate: null },
        { event_id: BOB, traceparent, tracestate: 'vendor=1' },
      ]);
      expect(await migrate(db, { upTo: 12 })).toBe(0);
    } finally {
      await db.close();
    }
  });
});

describe('the migration of the OAuth front door (13)', () => {
  it('keeps revocations of users and lets a revocation name a client', async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'tokenfence-migrations-'));
    const db = await EmbeddedDatabase.open(dataDir);
    const revocation = `INSERT INTO revocations (id, scope, user_id, cutoff, reason, revoked_at, expires_at)
                        VALUES ($1, 'user', $2, 1, 'admin', now(), 2)`;
    try {
      await migrate(db, { upTo: 12 });
      await db.query(revocation, [ALICE, ALICE]);
      await expect(db.query(revocation, [BOB, 'orders-worker'])).rejects.toThrow(/uuid/);

      expect(await migrate(db, { upTo: 13 })).toBe(1);
      await db.query(revocation, [BOB, 'orders-worker']);
      const rows = await db.query<{ user_id: string }>(
        'SELECT user_id FROM revocations ORDER BY user_id',
      );
      expect(rows).toEqual([{ user_id: ALICE }, { user_id: 'orders-worker' }]);
      expect(await migrate(db, { upTo: 13 })).toBe(0);
    } finally {
      await db.close();
    }
  });
});

describe("the migration of identity providers' signals (14)", () => {
  it("keeps this service's session revocations and records a provider's by its own ids", async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'tokenfence-migrations-'));
    const db = await EmbeddedDatabase.open(dataDir);
    const revocation = `INSERT INTO revocations (id, scope, user_id, session_id, reason, revoked_at, expires_at)
                        VALUES ($1, 'session', $2, $3, 'logout', now(), 2)`;
    const keycloakSid = 'fud9ATSyHuB8b3sDMZiM4n-P'; // 24 characters, not a UUID
    try {
      await migrate(db, { upTo: 13 });
      await db.query(revocation, [ALICE, ALICE, BOB]);
      await expect(db.query(revocation, [BOB, 'kc-user', keycloakSid])).rejects.toThrow(/uuid/);

      expect(await migrate(db)).toBe(1);
      await db.query(
        `INSERT INTO revocations (id, scope, user_id, session_id, reason, revoked_at, expires_at, iss)
         VALUES ($1, 'session', 'kc-user', $2, 'logout', now(), 2, 'https://kc.example/realms/a')`,
        [BOB, keycloakSid],
      );
      const rows = await db.query<{ session_id: string; iss: string | null }>(
        'SELECT session_id, iss FROM revocations ORDER BY session_id',
      );
      expect(rows).toEqual([
        { session_id: BOB, iss: null },
        { session_id: keycloakSid, iss: 'https://kc.example/realms/a' },
      ]);
      expect(await migrate(db)).toBe(0);
    } finally {
      await db.close();
    }
  });
});
